// Shared by the PCP/NAT-PMP and UPnP mapping paths of mapPort.
import { PortMappingError } from '../errors.js';
import type { MapPortOptions } from './map-port.js';

export const DEFAULT_LIFETIME = 7200;
export const DELETE_TIMEOUT_MS = 2000;

export function isDone(signal: AbortSignal): void {
  if (signal.aborted) throw new PortMappingError('aborted', 'port mapping aborted');
}

export type { MapPortOptions };
