import type { RemoteCandidateInit } from '../core/agent.js';
import type { Candidate } from '../core/candidate.js';
import { candidateToSdp, parseCandidateSdp } from '../core/candidate-sdp.js';

/**
 * What one side hands to the other, by any channel: credentials, candidates in SDP candidate-attribute
 * form, and whether it is an ICE-lite agent. JSON-serialisable.
 */
export interface IceDescription {
  /** Username fragment. */
  ufrag: string;
  /** Password. */
  pwd: string;
  /** Candidates, each an SDP candidate-attribute value. */
  candidates: string[];
  /** Whether the agent is ICE-lite (RFC 8445 §2.5). */
  lite?: boolean;
  /** RFC 8838: true when `candidates` is complete. */
  endOfCandidates?: boolean;
}

export function describe(
  creds: { ufrag: string; pwd: string },
  candidates: Candidate[],
  lite: boolean,
): IceDescription {
  return {
    ufrag: creds.ufrag,
    pwd: creds.pwd,
    candidates: candidates.filter((c) => c.type !== 'prflx').map(candidateToSdp),
    ...(lite ? { lite: true } : {}),
    endOfCandidates: true,
  };
}

export function parseDescriptionCandidates(d: IceDescription): RemoteCandidateInit[] {
  return d.candidates.map((l) => parseCandidateSdp(l));
}
