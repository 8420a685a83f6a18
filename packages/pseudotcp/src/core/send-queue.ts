// The send queue and the transmission log: every segment of sequence space sent and not yet
// cumulatively acknowledged (in sequence order), every transmission of them (in the order they
// left), which segments are judged lost, and the bytes in flight ("pipe", RFC 6675 §2). The
// decisions of when a segment is lost belong to the core; marking it is done here, once.

import type { DeliveryRateEstimator, DeliverySnapshot } from './delivery-rate.js';
import { Deque } from './deque.js';
import { echoRangeLength, nextTxId } from './echo-range.js';

/** One segment of our sequence space: data, the connect message or a FIN. */
export interface SendSegment {
  /** Unwrapped sequence number of its first byte. */
  seq: number;
  /** Sequence space consumed (a FIN consumes 1 with no payload). */
  len: number;
  /** Header flags it is sent with. */
  flags: number;
  /** The connect message it carries, or undefined for data and FIN. */
  ctl: Uint8Array | undefined;
  /** How many times it was transmitted. */
  xmit: number;
  /** Its latest transmission. */
  lastTx: Transmission | undefined;
  /** Cumulatively acknowledged. */
  acked: boolean;
  /** Reported received above the ACK point (its transmission was echoed). */
  sacked: boolean;
  /** Judged lost and waiting for retransmission. */
  lost: boolean;
  /** Counted in the pipe. */
  inflight: boolean;
  /** Transmissions of it still in the log (it is reused once acknowledged and at 0). */
  logRefs: number;
}

/** One transmission of a segment; its id travels in tsval and comes back in tsecr. */
export interface Transmission extends DeliverySnapshot {
  /** The tsval it carried (never 0). */
  id: number;
  /** The segment it carried. */
  seg: SendSegment;
}

/** A new segment, never transmitted. All fields are set so that every segment has one shape. */
export function newSendSegment(
  seq: number,
  len: number,
  flags: number,
  ctl: Uint8Array | undefined,
): SendSegment {
  return {
    seq,
    len,
    flags,
    ctl,
    xmit: 0,
    lastTx: undefined,
    acked: false,
    sacked: false,
    lost: false,
    inflight: false,
    logRefs: 0,
  };
}

/**
 * Segment and transmission records are reused. Each lives about a round trip, long enough on a
 * long path to be promoted to V8's old generation, where tens of thousands a second of them grew
 * the heap by megabytes a second between full collections (bench/p2pcat/RESULTS.md, issue 18).
 * A pool holds at most this many of each: about one 8 MiB send buffer of full-sized segments.
 */
const POOL_LIMIT = 8192;

/** The segments in flight and their transmissions. */
export class SendQueue {
  /** Bytes in flight: transmitted, not lost, not known received. */
  pipe = 0;
  /** Segments marked lost and not yet retransmitted. */
  lostCount = 0;
  private readonly segs = new Deque<SendSegment>();
  /** Lost segments are found by scanning `segs` from this index: none lies below it. */
  private retxCursor = 0;
  private readonly log = new Deque<Transmission>();
  /** Transmissions before this index in `log` were already checked by `nextSentBefore`. */
  private scan = 0;
  private nextTxId = 1;
  private readonly segPool: SendSegment[] = [];
  private readonly txPool: Transmission[] = [];

  /** Segments in the queue. */
  get length(): number {
    return this.segs.length;
  }

  /** The segment at SND.UNA, if any. */
  front(): SendSegment | undefined {
    return this.segs.peek();
  }

  /** The segment at `index` (0 = front). */
  at(index: number): SendSegment | undefined {
    return this.segs.at(index);
  }

  /** A segment never transmitted, as `newSendSegment` makes it, from a reused record when one is free. */
  newSegment(seq: number, len: number, flags: number, ctl: Uint8Array | undefined): SendSegment {
    const s = this.segPool.pop();
    if (s === undefined) return newSendSegment(seq, len, flags, ctl);
    s.seq = seq;
    s.len = len;
    s.flags = flags;
    s.ctl = ctl;
    s.xmit = 0;
    s.lastTx = undefined;
    s.acked = false;
    s.sacked = false;
    s.lost = false;
    s.inflight = false;
    s.logRefs = 0;
    return s;
  }

  /** Appends a new segment (its sequence number follows the last one's). */
  push(seg: SendSegment): void {
    this.segs.push(seg);
  }

  /**
   * Marks a segment lost: out of the pipe, queued for retransmission. `index` is its place in the
   * queue when the caller knows it (-1: look it up). Returns false, changing nothing, when the
   * segment is already acknowledged, reported received or marked.
   */
  markLost(s: SendSegment, index = -1): boolean {
    if (s.acked || s.sacked || s.lost) return false;
    s.lost = true;
    this.lostCount++;
    this.removeFromPipe(s);
    this.retxCursor = Math.min(this.retxCursor, index >= 0 ? index : this.indexOf(s.seq));
    return true;
  }

  /** Marks every segment not known received lost (a retransmission timeout). */
  markAllLost(): void {
    for (let i = 0; i < this.segs.length; i++) this.markLost(this.segs.at(i) as SendSegment, i);
  }

  /** The lowest lost segment, or undefined when none is. */
  nextLost(): SendSegment | undefined {
    if (this.lostCount === 0) return undefined;
    for (let i = this.retxCursor; i < this.segs.length; i++) {
      const s = this.segs.at(i) as SendSegment;
      if (s.lost) {
        this.retxCursor = i;
        return s;
      }
    }
    this.retxCursor = this.segs.length;
    this.lostCount = 0; // defensive: nothing lost is left
    return undefined;
  }

  /**
   * Index of the segment a tail loss probe resends (RFC 8985 §7): the newest not known received;
   * the FIN only when nothing else is left (an out-of-order FIN is not echoed, so it would reveal
   * nothing). -1 when there is none.
   */
  tailProbeIndex(finFlag: number): number {
    let fin = -1;
    for (let i = this.segs.length - 1; i >= 0; i--) {
      const s = this.segs.at(i) as SendSegment;
      if (s.acked || s.sacked || s.lost) continue;
      if (s.flags & finFlag) {
        if (fin < 0) fin = i;
        continue;
      }
      return i;
    }
    return fin;
  }

  /** Records a transmission of `s` leaving now and returns its id (the tsval to send). */
  recordTransmission(s: SendSegment, now: number, rate: DeliveryRateEstimator): number {
    const id = this.nextTxId;
    this.nextTxId = (this.nextTxId + 1) >>> 0 || 1;
    rate.onSend(now, this.pipe);
    let tx = this.txPool.pop();
    if (tx === undefined) {
      tx = {
        id,
        seg: s,
        sentAt: now,
        delivered: rate.delivered,
        deliveredTime: rate.deliveredTime,
        firstSentTime: rate.firstSentTime,
        appLimited: rate.appLimited,
      };
    } else {
      tx.id = id;
      tx.seg = s;
      tx.sentAt = now;
      tx.delivered = rate.delivered;
      tx.deliveredTime = rate.deliveredTime;
      tx.firstSentTime = rate.firstSentTime;
      tx.appLimited = rate.appLimited;
    }
    this.log.push(tx);
    s.logRefs++;
    s.lastTx = tx;
    s.xmit++;
    this.clearLost(s);
    if (!s.inflight) {
      s.inflight = true;
      this.pipe += s.len;
    }
    return id;
  }

  /** The transmission whose tsval was `id`, if it is still in the log. */
  lookup(id: number): Transmission | undefined {
    if (id === 0) return undefined;
    const front = this.log.peek();
    if (front === undefined) return undefined;
    let idx = (id - front.id) >>> 0;
    if (id < front.id) idx--; // the ids wrapped past 2^32 between them, skipping 0
    if (idx >= this.log.length) return undefined;
    const tx = this.log.at(idx);
    return tx !== undefined && tx.id === id ? tx : undefined;
  }

  /**
   * Cumulative acknowledgement up to `ack` (unwrapped, above SND.UNA): the segments below it leave
   * the queue, and what they deliver is reported to `rate`. A segment cut by `ack` keeps its rest.
   */
  acknowledge(ack: number, now: number, rate: DeliveryRateEstimator): void {
    while (this.segs.length > 0) {
      const s = this.segs.peek() as SendSegment;
      if (s.seq + s.len <= ack) {
        this.segs.shift();
        if (this.retxCursor > 0) this.retxCursor--;
        this.clearLost(s);
        if (!s.sacked) this.deliver(s, now, rate);
        s.acked = true;
        if (s.logRefs === 0) this.recycleSegment(s);
        continue;
      }
      if (s.seq < ack) {
        // Partly acknowledged (the peer trimmed it to its window): keep the rest.
        const cut = ack - s.seq;
        if (s.inflight) this.pipe -= cut;
        if (!s.sacked) rate.onPartlyDelivered(cut);
        s.seq = ack;
        s.len -= cut;
      }
      return;
    }
  }

  /** The peer reported `s` received above the ACK point (it echoed its transmission). */
  markReceived(s: SendSegment, now: number, rate: DeliveryRateEstimator): void {
    this.clearLost(s);
    s.sacked = true;
    this.deliver(s, now, rate);
  }

  /**
   * The peer reported every transmission with an id in [first, last] received (an echo range,
   * `echo-range.ts`): each one's segment above `ack` that is not yet known received is marked so.
   * A segment marked lost and not yet resent is thereby spared its retransmission. Returns how
   * many segments were marked.
   */
  markRangeReceived(
    first: number,
    last: number,
    ack: number,
    now: number,
    rate: DeliveryRateEstimator,
  ): number {
    const n = echoRangeLength(first, last);
    let marked = 0;
    for (let i = 0, id = first; i < n; i++, id = nextTxId(id)) {
      const s = this.lookup(id)?.seg;
      if (s !== undefined && !s.acked && !s.sacked && s.seq > ack) {
        this.markReceived(s, now, rate);
        marked++;
      }
    }
    return marked;
  }

  /**
   * The next segment, in transmission order, whose latest transmission left before `threshold`
   * and is neither acknowledged, reported received nor marked lost (RACK, RFC 8985 §6.2). Each
   * transmission is looked at once.
   */
  nextSentBefore(threshold: number): SendSegment | undefined {
    while (this.scan < this.log.length) {
      const tx = this.log.at(this.scan) as Transmission;
      if (tx.sentAt >= threshold) return undefined;
      this.scan++;
      const s = tx.seg;
      if (s.lastTx === tx && !s.acked && !s.sacked && !s.lost) return s;
    }
    return undefined;
  }

  /**
   * Drops transmissions that can no longer matter. `echoed`: the peer echoes each segment, so the
   * RACK scan runs and only transmissions it has passed may go; otherwise only those that can
   * no longer be echoed.
   */
  trimLog(echoed: boolean): void {
    while (this.log.length > 0 && this.scan > 0) {
      const tx = this.log.peek() as Transmission;
      if (!tx.seg.acked && tx.seg.lastTx === tx) break;
      this.log.shift();
      this.recycleTransmission(tx);
      this.scan--;
    }
    if (!echoed) {
      while (this.log.length > 0) {
        const tx = this.log.peek() as Transmission;
        if (!tx.seg.acked) break;
        this.log.shift();
        this.recycleTransmission(tx);
      }
      this.scan = 0;
    }
  }

  /**
   * A transmission left the log: nothing refers to it any more (the segment's latest transmission
   * stays in the log until the segment is acknowledged; the delivery-rate estimator forgets its
   * newest transmission at the start of each ACK), and neither does anything to its segment once
   * that is acknowledged and has no transmission left in the log.
   */
  private recycleTransmission(tx: Transmission): void {
    const s = tx.seg;
    if (--s.logRefs === 0 && s.acked) this.recycleSegment(s);
    if (this.txPool.length < POOL_LIMIT) this.txPool.push(tx);
  }

  private recycleSegment(s: SendSegment): void {
    s.lastTx = undefined;
    s.ctl = undefined;
    if (this.segPool.length < POOL_LIMIT) this.segPool.push(s);
  }

  /** Takes `s` out of the pipe (it is lost, or known received). */
  removeFromPipe(s: SendSegment): void {
    if (s.inflight) {
      s.inflight = false;
      this.pipe -= s.len;
    }
  }

  /** Forgets every segment and transmission (the connection closed). */
  clear(): void {
    this.segs.clear();
    this.lostCount = 0;
    this.retxCursor = 0;
    this.log.clear();
    this.scan = 0;
    this.pipe = 0;
  }

  private deliver(s: SendSegment, now: number, rate: DeliveryRateEstimator): void {
    this.removeFromPipe(s);
    rate.onDelivered(s.len, s.lastTx, now);
  }

  private clearLost(s: SendSegment): void {
    if (s.lost) {
      s.lost = false;
      this.lostCount--;
    }
  }

  /** Index of the segment starting at `seq` (binary search; the queue is in sequence order). */
  private indexOf(seq: number): number {
    let lo = 0;
    let hi = this.segs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.segs.at(mid) as SendSegment).seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
