// STUN message codec (issue 2): ./codec. Transactions, client, server and NAT behaviour discovery
// (issue 3): everything else. (Biome keeps these exports sorted by path.)

export { discoverNatBehaviorWith } from './behavior/discovery.js';
export { formatNatBehavior } from './behavior/format.js';
export { describeNatBehavior } from './behavior/summary.js';
export type {
  BindingProbe,
  ChangeRequest,
  FilteringBehavior,
  MappingBehavior,
  NatBehavior,
  OpenProbe,
} from './behavior/types.js';
export * from './codec/index.js';
export {
  HostPortError,
  parseHostPort,
  parseTransportAddress,
  transportAddressFromNode,
} from './node/address.js';
export { StunClientError, type StunClientErrorCode } from './node/errors.js';
export { type DiscoverNatBehaviorOptions, discoverNatBehavior } from './node/nat-discovery.js';
export {
  addressesOfFamily,
  formatHostPort,
  type ResolveServerOptions,
  resolveServerAddresses,
  type ServerLookup,
  ServerNameError,
  type ServerNameErrorCode,
  systemLookup,
} from './node/resolve.js';
export { StunStreamClient, type StunStreamConnectOptions } from './node/stream-client.js';
export { type StunBindingOptions, type StunBindingResult, stunBinding } from './node/stun-binding.js';
export {
  type RequestOptions,
  StunClient,
  type StunClientOptions,
  type StunResponse,
} from './node/stun-client.js';
export { type RunningStunServer, type StartStunServerOptions, startStunServer } from './node/stun-server.js';
export {
  type ServerTransmit,
  type ServerTransport,
  StunBindingServer,
  type StunServerOptions,
  type StunServerStats,
} from './server/binding-server.js';
export {
  DEFAULT_SOURCE_RATE_LIMIT,
  type SourceRateLimit,
  SourceRateLimiter,
} from './server/rate-limiter.js';
export { formatTransportAddress, sameTransportAddress } from './transaction/address.js';
export {
  type StartOptions,
  StunClientTransactions,
  type TransactionEvent,
} from './transaction/client-transactions.js';
export type { TransactionOptions } from './transaction/schedule.js';
export { StunStreamFramer } from './transaction/stream-framing.js';
