// The aggregate budget of check retransmissions (README "Bounded cost"): a token bucket shared by
// every pair and stream, so that a long check list cannot make the agent flood the network with
// retransmissions. First transmissions are paced by Ta instead (RFC 8445 §6.1.4.2, §14.2).

/** A token bucket of `rate` retransmissions per second holding at most `burst` tokens, full at first. */
export class RetransmitBudget {
  #tokens: number;
  #refilledAt: number | undefined;

  /** `rate` per second (Infinity: no budget), `burst` tokens saved up at most. */
  constructor(
    readonly rate: number,
    readonly burst: number,
  ) {
    this.#tokens = burst;
  }

  /** Takes a token at `now` (ms) if one is there; false means the retransmission waits. */
  take(now: number): boolean {
    if (!(this.rate < Number.POSITIVE_INFINITY)) return true;
    const at = this.#refilledAt ?? now;
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - at) * this.rate) / 1000);
    this.#refilledAt = now;
    if (this.#tokens < 1 - 1e-9) return false; // float sums of fractions
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }

  /** After a refused `take`: ms until the next token (at least 1). */
  untilNextToken(): number {
    return Math.max(1, ((1 - this.#tokens) * 1000) / this.rate);
  }
}
