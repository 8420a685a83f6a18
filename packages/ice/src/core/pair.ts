import type { Candidate } from './candidate.js';

export type PairState = 'frozen' | 'waiting' | 'in-progress' | 'succeeded' | 'failed';

/** Counters of a candidate pair. */
export interface PairStats {
  /** Connectivity and consent checks sent. */
  requestsSent: number;
  /** Checks received. */
  requestsReceived: number;
  /** Responses sent. */
  responsesSent: number;
  /** Responses received. */
  responsesReceived: number;
  /** Latest round-trip time of a check or consent check, ms. */
  rtt: number | undefined;
  /** Smoothed RTT (RFC 6298 style, alpha 1/8), ms. */
  srtt: number | undefined;
  /** Application bytes sent on the pair. */
  bytesSent: number;
  /** Application bytes received on the pair. */
  bytesReceived: number;
  /** Application datagrams sent on the pair. */
  packetsSent: number;
  /** Application datagrams received on the pair. */
  packetsReceived: number;
}

/** Credentials of one ICE generation; restart makes a new one. */
export interface Generation {
  readonly index: number;
  readonly localUfrag: string;
  readonly localPwd: string;
  remoteUfrag: string | undefined;
  remotePwd: string | undefined;
}

export class CandidatePair {
  state: PairState = 'frozen';
  /** Set once a check on this pair (or one that generated it) succeeded: it is in the valid list. */
  valid = false;
  nominated = false;
  /** A nominating check is in flight for this valid pair. */
  nominating = false;
  /** Controlled side got USE-CANDIDATE before the check succeeded (RFC 8445 §7.3.1.5). */
  nominateOnSuccess = false;
  /** The valid pair this pair's successful check produced (§7.2.5.3.2). */
  validPair: CandidatePair | undefined;
  /** The checked pair that produced this valid pair. */
  generatedBy: CandidatePair | undefined;
  /** Time the first check of the current attempt went out. */
  firstCheckAt: number | undefined;
  lastConsentAt = 0;
  readonly stats: PairStats = {
    requestsSent: 0,
    requestsReceived: 0,
    responsesSent: 0,
    responsesReceived: 0,
    rtt: undefined,
    srtt: undefined,
    bytesSent: 0,
    bytesReceived: 0,
    packetsSent: 0,
    packetsReceived: 0,
  };
  priority: bigint;

  constructor(
    readonly id: string,
    readonly local: Candidate,
    readonly remote: Candidate,
    controlling: boolean,
    readonly generation: Generation,
  ) {
    this.priority = pairPriority(local.priority, remote.priority, controlling);
  }

  get foundation(): string {
    return `${this.local.foundation}:${this.remote.foundation}`;
  }

  recomputePriority(controlling: boolean): void {
    this.priority = pairPriority(this.local.priority, this.remote.priority, controlling);
  }

  recordRtt(rtt: number): void {
    this.stats.rtt = rtt;
    this.stats.srtt = this.stats.srtt === undefined ? rtt : (7 * this.stats.srtt + rtt) / 8;
  }
}

/**
 * RFC 8445 §6.1.2.3: G = controlling agent's candidate priority, D = controlled agent's;
 * pair priority = 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0). 64-bit, hence bigint.
 */
export function pairPriority(localPriority: number, remotePriority: number, controlling: boolean): bigint {
  const g = BigInt(controlling ? localPriority : remotePriority);
  const d = BigInt(controlling ? remotePriority : localPriority);
  const min = g < d ? g : d;
  const max = g > d ? g : d;
  return (min << 32n) + 2n * max + (g > d ? 1n : 0n);
}

/** Descending by priority. */
export function byPriority(a: CandidatePair, b: CandidatePair): number {
  return a.priority > b.priority ? -1 : a.priority < b.priority ? 1 : 0;
}
