// The table of connectivity and consent checks in flight: when each is retransmitted, when it gives
// up, and the aggregate retransmission budget. The wait after each request is the STUN schedule
// (RFC 8489 §6.2.1, `retransmitWait` in timing.ts, which steps through `@p2pcat/stun`'s); what ICE
// adds is the per-check RTO (RFC 8445 §14.3, chosen by the caller), cancellation (RFC 8445 §7.3.1.4)
// and the budget. Sans-IO: the agent sends what `runDue` says to send.
import type { CandidatePair } from './pair.js';
import { RetransmitBudget } from './retransmit-budget.js';
import type { IceRole } from './role.js';
import { type IceTimingConfig, retransmitWait } from './timing.js';

/** One Binding request in flight on a pair: a connectivity check or a consent check. */
export interface CheckTransaction {
  /** The transaction id, as hex. */
  readonly id: string;
  /** The encoded request, sent again as is. */
  readonly data: Uint8Array;
  /** The pair checked. */
  readonly pair: CandidatePair;
  /** A connectivity check (RFC 8445 §7.2.4) or a consent check (RFC 7675 §5.1). */
  readonly kind: 'check' | 'consent';
  /** It asks to nominate (`checkNominates`). */
  readonly nominate: boolean;
  /** Our role when it was sent (RFC 8445 §7.2.5.1 compares it on a 487). */
  readonly role: IceRole;
  /** Its RTO (RFC 8445 §14.3). */
  readonly rto: number;
  /** Requests sent so far (Rc counts them, RFC 8489 §6.2.1). */
  requestsSent: number;
  /** Requests sent at most before it fails (Rc). */
  readonly maxRequests: number;
  /** When the first request went out. */
  readonly firstSentAt: number;
  /** When the latest request went out. */
  lastSentAt: number;
  /** When it is due again: next retransmission, or failure after the last request. */
  nextAt: number;
  /** The PRIORITY we put in the request (for a peer-reflexive local candidate). */
  readonly prflxPriority: number;
  /** RFC 8445 §7.3.1.4 cancelled: no more retransmissions, but a late answer still counts. */
  cancelled: boolean;
}

/** What `startCheck` gives: everything but the timers. */
export type CheckTransactionInit = Omit<
  CheckTransaction,
  'requestsSent' | 'firstSentAt' | 'lastSentAt' | 'nextAt' | 'cancelled'
>;

/** What `runDue` decided about a transaction that was due. */
export type DueOutcome =
  /** Send `data` again now. */
  | 'retransmit'
  /** Over the retransmission budget: put off (not sent). */
  | 'deferred'
  /** No answer after the last request: the check failed (RFC 8489 §6.2.1). */
  | 'timeout'
  /** Cancelled earlier: dropped without an answer. */
  | 'dropped';

/** The agent's checks in flight, keyed by transaction id. */
export class CheckTransactions {
  readonly #live = new Map<string, CheckTransaction>();
  readonly #timing: Pick<IceTimingConfig, 'rm' | 'maxRetransmitInterval'>;
  readonly #budget: RetransmitBudget;

  /** `checkRetransmitRate` / `checkRetransmitBurst` set the budget; `rm` and `maxRetransmitInterval` the waits. */
  constructor(
    timing: Pick<
      IceTimingConfig,
      'rm' | 'maxRetransmitInterval' | 'checkRetransmitRate' | 'checkRetransmitBurst'
    >,
  ) {
    this.#timing = timing;
    this.#budget = new RetransmitBudget(timing.checkRetransmitRate, timing.checkRetransmitBurst);
  }

  /** Records a request sent for the first time at `now` (the caller sends it). */
  start(init: CheckTransactionInit, now: number): CheckTransaction {
    // Spelled out, not spread: V8 makes a spread object of this many fields a slow dictionary-mode
    // object (10 µs to build on Node 20, and slower reads every retransmission).
    const tx: CheckTransaction = {
      id: init.id,
      data: init.data,
      pair: init.pair,
      kind: init.kind,
      nominate: init.nominate,
      role: init.role,
      rto: init.rto,
      maxRequests: init.maxRequests,
      prflxPriority: init.prflxPriority,
      requestsSent: 1,
      firstSentAt: now,
      lastSentAt: now,
      nextAt: now + retransmitWait(this.#timing, init.rto, 1, init.maxRequests),
      cancelled: false,
    };
    this.#live.set(tx.id, tx);
    return tx;
  }

  /** The live transaction of an id (hex), if any. */
  get(id: string): CheckTransaction | undefined {
    return this.#live.get(id);
  }

  /** Ends a transaction (its answer arrived). */
  delete(id: string): void {
    this.#live.delete(id);
  }

  /** RFC 8445 §7.3.1.4: stops retransmitting the connectivity checks of `pair`; a late answer still counts. */
  cancelChecksOn(pair: CandidatePair): void {
    for (const tx of this.#live.values()) if (tx.pair === pair && tx.kind === 'check') tx.cancelled = true;
  }

  /** Keeps only the transactions of the given pairs (restart, RFC 8445 §9). */
  keepPairs(pairs: ReadonlySet<CandidatePair>): void {
    for (const [id, tx] of this.#live) if (!pairs.has(tx.pair)) this.#live.delete(id);
  }

  /** Ends them all. */
  clear(): void {
    this.#live.clear();
  }

  /** When the earliest transaction is due, or Infinity. */
  nextTimeout(): number {
    let t = Number.POSITIVE_INFINITY;
    for (const tx of this.#live.values()) t = Math.min(t, tx.nextAt);
    return t;
  }

  /**
   * Runs the transactions due at `now`, longest-waiting first (so that budget-deferred ones go round
   * robin), and says what became of each; the caller sends the retransmissions, in this order.
   */
  runDue(now: number): { tx: CheckTransaction; outcome: DueOutcome }[] {
    const due = [...this.#live.values()]
      .filter((tx) => tx.nextAt <= now)
      .sort((a, b) => a.nextAt - b.nextAt || a.lastSentAt - b.lastSentAt);
    const out: { tx: CheckTransaction; outcome: DueOutcome }[] = [];
    for (const tx of due) {
      if (tx.cancelled || tx.requestsSent >= tx.maxRequests) {
        this.#live.delete(tx.id);
        out.push({ tx, outcome: tx.cancelled ? 'dropped' : 'timeout' });
        continue;
      }
      // The aggregate budget (README "Bounded cost"): retransmissions of ordinary checks share
      // checkRetransmitRate per second; nominations and consent are few and time-critical.
      if (tx.kind === 'check' && !tx.nominate && !this.#budget.take(now)) {
        tx.nextAt = now + this.#budget.untilNextToken();
        out.push({ tx, outcome: 'deferred' });
        continue;
      }
      // RFC 8445 §14.3 / RFC 8489 §6.2.1: retransmit with doubling RTO.
      tx.requestsSent++;
      tx.lastSentAt = now;
      tx.nextAt = now + retransmitWait(this.#timing, tx.rto, tx.requestsSent, tx.maxRequests);
      out.push({ tx, outcome: 'retransmit' });
    }
    return out;
  }
}
