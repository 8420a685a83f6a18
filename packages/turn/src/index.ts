export * from './core.js';
export { type RestApiCredentialOptions, restApiCredentials } from './credentials.js';
export { createTurnSocket, type TurnServerByNameOptions } from './node/by-name.js';
export {
  type TurnAllocated,
  type TurnDatagramSender,
  type TurnOperationOptions,
  TurnSocket,
  type TurnSocketEvents,
  type TurnSocketOptions,
} from './node/turn-socket.js';
