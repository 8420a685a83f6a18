// Pacing: segments leave at the congestion controller's pacing rate instead of in bursts as ACKs
// arrive. The pacer holds only the schedule; the rate comes from the controller on every call
// (Infinity: no pacing, as NewReno runs).

/** When the next segment may leave, at a given rate. */
export class Pacer {
  /** The last check found the next segment not yet due: a timer is wanted at `nextSendTime`. */
  waiting = false;
  /** When (ms) the next segment may leave. */
  nextSendTime = 0;
  private lastPacketSize = 0;

  /**
   * Whether a segment may leave at `now` at `rate` bytes per ms. A rate that rose since the last
   * send shortens the wait already scheduled. When it may not, `waiting` is set.
   */
  mayRelease(now: number, rate: number): boolean {
    if (!Number.isFinite(rate)) return true;
    if (this.nextSendTime - now > this.lastPacketSize / rate) {
      this.nextSendTime = now + this.lastPacketSize / rate;
    }
    if (this.nextSendTime > now) {
      this.waiting = true;
      return false;
    }
    return true;
  }

  /**
   * A datagram of `size` bytes left at `now`: the next may leave `size / rate` later. Up to
   * `max(2 x mss / rate, 2 ms)` of time not used (the caller was late) may be caught up as a burst.
   */
  onSent(now: number, size: number, rate: number, mss: number): void {
    if (!Number.isFinite(rate) || rate <= 0) return;
    const lag = Math.max((2 * mss) / rate, 2);
    this.nextSendTime = Math.max(this.nextSendTime, now - lag) + size / rate;
    this.lastPacketSize = size;
  }

  /** Sending may resume at once (after a retransmission timeout). */
  reset(now: number): void {
    this.nextSendTime = now;
  }
}
