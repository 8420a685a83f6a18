// Echo ranges: more than one echoed transmission per ACK, without SACK on the wire.
//
// Our sender stamps each transmission with an id (tsval) one above the previous one's (skipping
// 0), and our receiver echoes the tsval of the segment that triggered each ACK (tsecr), which
// tells the sender's RACK loss detection exactly which transmission arrived. One echo per ACK
// has two costs on a lossy long path: every out-of-order segment needs its own ACK (as many ACKs
// as data segments while a hole is open), and when that one ACK is lost the sender never learns
// the segment arrived and resends it (a spurious retransmission, RFC 8985 §6.2 sees a loss).
//
// A pure ACK's tsval is free: libnice and libjingle take tsval only from a segment covering their
// last ACK point, which a zero-length segment never does, and our core read it nowhere. So
// between two peers that both announce the connect option OPT_ECHO_RANGE, a pure ACK's tsval
// carries the first id of a run of consecutive ids received whole, the last being its tsecr. The
// run reaches back over what the previous range ACK reported too, so each arrival is reported in
// two ACKs (one lost ACK hides nothing); the ACK that closes a run (a gap in the ids: a loss) goes
// out twice. Out-of-order segments then no longer need an ACK each.
// Data segments keep their own tsval; only pure ACKs carry ranges.

/**
 * Largest range a sender walks: bounds the work one ACK can cause, since a pure ACK is not
 * authenticated and a forged one costs the sender one lookup per id. Our receiver acknowledges at
 * least every OWED_ACK_LIMIT (64 KiB) and reports each arrival twice, so its ranges stay near two
 * 64 KiB worth of segments: about 100 ids at MTU 1400, about 260 at the 576-byte minimum.
 */
export const MAX_ECHO_RANGE = 512;

/** The id after `id` in our sender's numbering (ids wrap past 2^32 and skip 0). */
export function nextTxId(id: number): number {
  return (id + 1) >>> 0 || 1;
}

/** The id `n` places before `id` in our sender's numbering. */
export function txIdBefore(id: number, n: number): number {
  let s = (id - n) >>> 0;
  if (s === 0 || s > id) s = (s - 1) >>> 0; // the range crosses the skipped 0
  return s;
}

/**
 * How many ids [first, last] spans in our sender's numbering, or 0 when `first` is 0 or the
 * span exceeds MAX_ECHO_RANGE (not a range our receiver sends).
 */
export function echoRangeLength(first: number, last: number): number {
  if (first === 0 || last === 0) return 0;
  let d = (last - first) >>> 0;
  if (first > last) d--; // crossed the skipped 0
  return d + 1 <= MAX_ECHO_RANGE ? d + 1 : 0;
}

/** Receiver side: the current run of consecutive transmission ids received whole. */
export class EchoRun {
  /** The id of the latest arrival in the run (0: no run). */
  last = 0;
  /** Arrivals in the current run. */
  private length = 0;
  /** Arrivals since the last range ACK went out. */
  private sinceAck = 0;
  /** Arrivals the last range ACK reported for the first time. */
  private previousAck = 0;

  /** A segment stamped `tsval` was received whole (its data is held). */
  onArrival(tsval: number): void {
    if (this.last !== 0 && tsval === nextTxId(this.last)) {
      this.length++;
      this.sinceAck++;
    } else {
      // A gap (a loss, reordering, a duplicate): a new run; nothing before it is claimed.
      this.length = 1;
      this.sinceAck = 1;
      this.previousAck = 0;
    }
    this.last = tsval;
  }

  /**
   * An arrival stamped `tsval` would start a new run while arrivals of the current one are not yet
   * reported: the caller sends a pure ACK for them first (the new run's ACKs cannot cover them).
   */
  leavesUnreported(tsval: number): boolean {
    return this.sinceAck > 0 && tsval !== nextTxId(this.last);
  }

  /**
   * The tsval of a pure ACK whose tsecr is `tsecr`: the first id of the range it reports, or 0
   * when it reports none (the echo is not the run's latest arrival).
   */
  rangeStart(tsecr: number): number {
    if (this.last === 0 || tsecr !== this.last) return 0;
    const n = Math.max(1, Math.min(this.length, this.sinceAck + this.previousAck, MAX_ECHO_RANGE));
    return txIdBefore(this.last, n - 1);
  }

  /** A pure ACK reporting the range went out. */
  onRangeSent(): void {
    this.previousAck = this.sinceAck;
    this.sinceAck = 0;
  }
}
