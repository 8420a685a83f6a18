// Shared by the PCP/NAT-PMP and UPnP mapping paths of mapPort.
import { abortError } from '../abort.js';
import { PortMappingError } from '../errors.js';
import type { MapPortOptions } from './map-port-options.js';

export const DEFAULT_LIFETIME = 7200;
export const DELETE_TIMEOUT_MS = 2000;

/** Throws the AbortError of `signal` when it has aborted; returns otherwise. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal, 'port mapping aborted');
}

/**
 * A signal that aborts with `signal` or after `ms` (a deletion's own deadline), and how to tell an
 * abort of it apart: a deadline becomes a PortMappingError 'timeout', the caller's abort stays an AbortError.
 */
export function withDeadline(
  signal: AbortSignal | undefined,
  ms: number,
  what: string,
): { signal: AbortSignal; explain: (error: unknown) => unknown } {
  const deadline = AbortSignal.timeout(ms);
  return {
    signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
    explain: (error) =>
      (error as Error | undefined)?.name === 'AbortError' && !signal?.aborted && deadline.aborted
        ? new PortMappingError('timeout', `${what} got no answer within ${ms} ms`, { cause: error })
        : error,
  };
}

export type { MapPortOptions };
