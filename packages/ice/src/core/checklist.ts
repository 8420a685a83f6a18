import type { Candidate } from './candidate.js';
import { byPriority, type CandidatePair } from './pair.js';

export type CheckListState = 'running' | 'completed' | 'failed';

/** One check list per data stream (RFC 8445 §6.1.2). */
export class CheckList {
  state: CheckListState = 'running';
  pairs: CandidatePair[] = [];

  constructor(
    readonly streamId: number,
    readonly components: number,
    /** RFC 8445 §6.1.2.5: the limit on pairs; default 100, MUST be configurable. */
    readonly limit: number,
  ) {}

  find(local: Candidate, remote: Candidate): CandidatePair | undefined {
    return this.pairs.find((p) => p.local.id === local.id && p.remote.id === remote.id);
  }

  /** Keeps the list sorted and within its limit (lowest-priority pairs dropped, RFC 8445 §6.1.2.5). */
  sortAndLimit(): void {
    this.pairs.sort(byPriority);
    while (this.pairs.length > this.limit) {
      // Never drop a pair already being checked or valid.
      const idx = findLastIndex(this.pairs, (p) => p.state === 'frozen' || p.state === 'waiting');
      if (idx < 0) break;
      this.pairs.splice(idx, 1);
    }
  }

  /** A new pair (trickle) goes to Waiting if no pair of its foundation is Waiting/In-Progress (RFC 8838 §10). */
  unfreezeNew(pair: CandidatePair): void {
    const busy = this.pairs.some(
      (p) =>
        p !== pair &&
        p.foundation === pair.foundation &&
        (p.state === 'waiting' || p.state === 'in-progress'),
    );
    if (!busy) pair.state = 'waiting';
  }

  count(state: CandidatePair['state']): number {
    let n = 0;
    for (const p of this.pairs) if (p.state === state) n++;
    return n;
  }
}

function findLastIndex<T>(a: T[], f: (x: T) => boolean): number {
  for (let i = a.length - 1; i >= 0; i--) if (f(a[i] as T)) return i;
  return -1;
}
