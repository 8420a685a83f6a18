export * from './core.js';
export { IceError, type IceErrorCode } from './errors.js';
export type { EventMap, TypedEventEmitter } from './events.js';
export type { IceDescription } from './node/description.js';
export {
  type BaseSocket,
  bindBase,
  type CandidateGatherer,
  HostGatherer,
  type HostGathererOptions,
} from './node/host-candidates.js';
export {
  type BatchSend,
  IceConnection,
  type IceConnectionEvents,
  type IceConnectionOptions,
  type IceConnectOptions,
  type IceTransport,
  type RelayAllocation,
  type SharedBase,
} from './node/ice-connection.js';
export {
  connectWithServers,
  ServerIceConnection,
  type ServerIceOptions,
  type TurnServerConfig,
  turnServerUrl,
} from './node/server-connection.js';
