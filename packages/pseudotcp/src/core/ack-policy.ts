// When the receiver acknowledges: at once, when the caller next drains its output, or after the
// delayed-ACK time. The rules, and where they come from:
// - RFC 9293 §3.8.6.3 (RFC 1122 §4.2.3.2): delayed ACKs are allowed, but an ACK SHOULD be sent for
//   at least every second full-sized segment, and the delay MUST be less than 0.5 s (MUST-40).
//   libnice's delay is 100 ms (the `ackDelay` option; keep it under 500).
// - RFC 5681 §4.2: an out-of-order segment SHOULD be acknowledged at once (the duplicate ACK that
//   drives the sender's fast retransmit), and so SHOULD a segment that fills a hole.
// - libnice acknowledges the second in-order segment at once; with `ackDelay` 0 every segment is.
// - Out-of-order segments towards a peer that reads echo ranges (`echo-range.ts`) are acknowledged
//   when the caller next drains its output (and at least every OWED_ACK_LIMIT bytes), not one ACK
//   each. RFC 5681 §4.2's immediate ACK for an out-of-order segment is a SHOULD (so is RFC 1122
//   §4.2.2.21's, which RFC 9293 keeps): its purpose is to tell the sender at once what arrived, and
//   the one ACK's echo range reports every segment of the batch; a caller that drains after each
//   datagram still sends one ACK per segment. (The core reports a run that a gap ends at once.)
// The ACK itself is built by the core; this only decides when.

/** An owed in-order ACK goes out at once when this much data arrived since the last ACK. */
export const OWED_ACK_LIMIT = 64 * 1024;

/** The delayed-ACK state of the receive side. */
export class AckPolicy {
  /** An ACK must go out with the next output (the core sends a pure ACK if no segment carries it). */
  immediate = false;
  /**
   * An in-order ACK that waits until the caller drains its output: a caller that feeds a batch of
   * datagrams before draining sends one cumulative ACK for the batch instead of one per two
   * segments (fewer datagrams both ways). Out-of-order segments are still acknowledged one by one:
   * each ACK echoes the segment that triggered it, which the sender's loss detection relies on.
   */
  owed = false;
  /** When (ms) the delayed ACK is due, or undefined when none waits. */
  deadline: number | undefined = undefined;
  /** RCV.NXT as the last ACK sent announced it. */
  lastAckPoint: number;
  /** In-order segments received since the last ACK. */
  private unackedSegments = 0;
  /** Out-of-order bytes received since the last ACK. */
  private unackedOutOfOrder = 0;

  /** `ackDelay`: the delayed-ACK time in ms (0: every segment at once); `rcvNxt`: the initial RCV.NXT. */
  constructor(
    private readonly ackDelay: number,
    rcvNxt: number,
  ) {
    this.lastAckPoint = rcvNxt;
  }

  /** True when an ACK is due now, owed, or waiting for its timer. */
  get pending(): boolean {
    return this.immediate || this.owed || this.deadline !== undefined;
  }

  /** Acknowledge with the next output: out of order, a duplicate, a FIN, a probe, a CONNECT. */
  requestImmediate(): void {
    this.immediate = true;
  }

  /**
   * In-order data moved RCV.NXT to `rcvNxt` at `now`; `filledHole`: it filled a gap before data
   * held out of order.
   */
  onInOrderData(now: number, rcvNxt: number, filledHole: boolean): void {
    this.unackedSegments++;
    if (filledHole || this.ackDelay === 0) this.immediate = true;
    else if (this.unackedSegments >= 2) {
      // Every second segment (RFC 9293 §3.8.6.3), when the caller next drains its output; a very
      // large batch still gets an ACK every OWED_ACK_LIMIT bytes.
      if (rcvNxt - this.lastAckPoint >= OWED_ACK_LIMIT) this.immediate = true;
      else this.owed = true;
    } else if (this.deadline === undefined) this.deadline = now + this.ackDelay;
  }

  /**
   * `bytes` arrived out of order. `reported`: the peer reads echo ranges and an ACK at the next
   * drain reports this segment (see the header).
   */
  onOutOfOrderData(bytes: number, reported: boolean): void {
    this.unackedOutOfOrder += bytes;
    if (!reported || this.unackedOutOfOrder >= OWED_ACK_LIMIT) this.immediate = true;
    else this.owed = true;
  }

  /** The timer ran at `now`: a delayed ACK that is due becomes immediate. */
  onTimeout(now: number): void {
    if (this.deadline !== undefined && now >= this.deadline) this.immediate = true;
  }

  /** An ACK announcing `rcvNxt` went out (a pure ACK or any segment): nothing is owed. */
  onAckSent(rcvNxt: number): void {
    this.immediate = false;
    this.owed = false;
    this.deadline = undefined;
    this.unackedSegments = 0;
    this.unackedOutOfOrder = 0;
    this.lastAckPoint = rcvNxt;
  }

  /** Nothing will be acknowledged any more (the connection is reset or closed). */
  cancel(): void {
    this.immediate = false;
    this.owed = false;
    this.deadline = undefined;
  }
}
