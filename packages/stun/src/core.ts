// `@p2pcat/stun/core`: the sans-IO part of the package (codec, client transactions, the Binding
// server core, NAT behaviour discovery over any probe) without the Node adapters, so it loads
// without any `node:` builtin. The package entry re-exports all of this plus the Node layer.

export { abortError } from './abort.js';
export { formatTransportAddress, sameTransportAddress } from './address.js';
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
export { bytesToHex, hexToBytes } from './codec/bytes.js';
export * from './codec/index.js';
export {
  type ServerNameErrorCode,
  type StunClientErrorCode,
  type StunDecodeErrorCode,
  StunError,
  type StunErrorCode,
  type StunResponseErrorCode,
} from './errors.js';
export type { EventMap, TypedEventEmitter } from './events.js';
export { parseIpv4, parseIpv6 } from './ip-text.js';
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
export {
  type StartOptions,
  StunClientTransactions,
  type TransactionEvent,
} from './transaction/client-transactions.js';
export { retransmissionWait, type TransactionOptions } from './transaction/schedule.js';
export { StunStreamFramer } from './transaction/stream-framing.js';
