// STUN message codec (issue 2): ./codec. Transactions, client, server and NAT behaviour discovery
// (issue 3): everything else. The sans-IO part is `./core` (re-exported whole here); this entry adds
// the Node adapters. (Biome keeps these exports sorted by path.)

export * from './core.js';

export {
  HostPortError,
  parseHostPort,
  parseTransportAddress,
  transportAddressFromNode,
} from './node/address.js';
export { DeadlineTimer } from './node/deadline-timer.js';
export { StunClientError } from './node/errors.js';
export { type DiscoverNatBehaviorOptions, discoverNatBehavior } from './node/nat-discovery.js';
export {
  addressesOfFamily,
  formatHostPort,
  type ResolveServerOptions,
  resolveServerAddresses,
  type ServerLookup,
  ServerNameError,
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
