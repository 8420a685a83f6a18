// RFC 8445 §5.1.3: a candidate is redundant if and only if its transport address and base equal
// those of another candidate; the one with the lower priority is removed. A port-mapped candidate
// with its own external port is therefore kept next to the STUN-learned one.
import type { Candidate } from './candidate.js';

export function candidateKey(c: Pick<Candidate, 'address' | 'port' | 'base'>): string {
  return `${c.address}|${c.port}|${c.base.local.address}|${c.base.local.port}|${c.base.kind}`;
}

/** Returns the candidate that `candidate` would replace or be replaced by, if any. */
export function findRedundant(existing: Iterable<Candidate>, candidate: Candidate): Candidate | undefined {
  const key = candidateKey(candidate);
  for (const c of existing) if (candidateKey(c) === key) return c;
  return undefined;
}
