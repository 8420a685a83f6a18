// `@p2pcat/turn/core`: the sans-IO TURN allocation client without the Node socket adapter (and
// without restApiCredentials, which uses node:crypto), so it loads without any `node:` builtin.

export type { EventMap, TypedEventEmitter } from '@p2pcat/stun/core';
export {
  TurnAllocation,
  type TurnAllocationOptions,
  type TurnAllocationState,
  type TurnEvent,
  type TurnStats,
  type TurnTransmit,
  type TurnTransport,
} from './allocation.js';
export type { TurnCredentials } from './credentials.js';
export { TurnError, type TurnErrorCode, type TurnErrorOptions } from './errors.js';
