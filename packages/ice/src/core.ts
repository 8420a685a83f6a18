// `@p2pcat/ice/core`: the sans-IO ICE agent (RFC 8445) without the Node socket layer, so it loads
// without any `node:` builtin (it imports `@p2pcat/stun/core`, not the STUN package entry).

export type { RemoteCandidateRefusal } from './core/address.js';
export {
  IceAgent,
  type IceAgentOptions,
  type IceRole,
  type LocalCandidateInit,
  type RemoteCandidateInit,
} from './core/agent.js';
export {
  type Candidate,
  type CandidateAttributes,
  type CandidateType,
  candidatePriority,
  localPreferenceOf,
  TYPE_PREFERENCE,
} from './core/candidate.js';
export { candidateToSdp, parseCandidateSdp } from './core/candidate-sdp.js';
export { generateCredentials, type IceCredentials } from './core/credentials.js';
export type { IceConnectionState, IceEvent, IceFailureReason, PairInfo, Transmit } from './core/events.js';
export type { HardNatEvent, HardNatOptions } from './core/hard-nat/driver.js';
export type { HardNatStrategy } from './core/hard-nat/plan.js';
export { DEFAULT_HARD_NAT_LIMITS, type HardNatLimits } from './core/hard-nat/prober.js';
export {
  decodeHardNatProfile,
  encodeHardNatProfile,
  type HardNatMapping,
  type HardNatProfile,
  profileFromMappedPorts,
} from './core/hard-nat/profile.js';
export { type PairStats, pairPriority } from './core/pair.js';
export { type RandomSource, secureRandom, seededRandom } from './core/random.js';
export type { IceTimingConfig } from './core/timing.js';
