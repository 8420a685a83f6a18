// `@p2pcat/gather/core`: the candidate model shared with `@p2pcat/ice` (its agent computes
// priorities with these), without the Node gathering layer: no `node:` builtin is loaded.
export type { CandidateAttributes, CandidateType } from './candidate.js';
export { candidatePriority, localPreferenceOf, TYPE_PREFERENCE } from './priority.js';
