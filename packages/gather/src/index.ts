export type { EventMap, TypedEventEmitter } from '@p2pcat/stun';
export type { Candidate, CandidateBase } from './candidate.js';
export * from './core.js';
export { GatherError, type GatherErrorCode, type GatherErrorOptions } from './errors.js';
export { computeFoundation } from './foundation.js';
export type { InterfaceOptions, LocalAddress } from './interfaces.js';
export {
  type GatherDependencies,
  Gathering,
  type GatheringEvents,
  type GatherOptions,
  gatherCandidates,
  type SourceFailure,
} from './node/gatherer.js';
export { HostBase } from './node/host-base.js';
export { RelayBase } from './node/relay-base.js';
export { parseStunServer, parseTurnServer, redactUrl, ServerUrlError } from './server-url.js';
export { formatCandidateTable } from './table.js';
