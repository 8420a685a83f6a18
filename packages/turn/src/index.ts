export {
  TurnAllocation,
  type TurnAllocationOptions,
  type TurnAllocationState,
  type TurnEvent,
  type TurnStats,
  type TurnTransmit,
  type TurnTransport,
} from './allocation.js';
export { type RestApiCredentialOptions, restApiCredentials, type TurnCredentials } from './credentials.js';
export { TurnError, type TurnErrorCode } from './errors.js';
export { createTurnSocket, type TurnServerByNameOptions } from './node/by-name.js';
export {
  type TurnAllocated,
  type TurnDatagramSender,
  TurnSocket,
  type TurnSocketOptions,
} from './node/turn-socket.js';
