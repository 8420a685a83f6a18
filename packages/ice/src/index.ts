export * from './core.js';
export type { IceDescription } from './node/description.js';
export {
  type BaseSocket,
  bindBase,
  type CandidateGatherer,
  HostGatherer,
  type HostGathererOptions,
} from './node/host-candidates.js';
export {
  IceConnection,
  type IceConnectionOptions,
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
