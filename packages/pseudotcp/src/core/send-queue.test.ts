import { describe, expect, it } from 'vitest';
import { DeliveryRateEstimator } from './delivery-rate.js';
import { newSendSegment, SendQueue, type SendSegment } from './send-queue.js';

const FIN = 0x01;

/** A queue of `n` segments of 100 bytes from sequence 0, each transmitted once at t = index. */
function sent(n: number): { q: SendQueue; rate: DeliveryRateEstimator; segs: SendSegment[]; ids: number[] } {
  const q = new SendQueue();
  const rate = new DeliveryRateEstimator();
  const segs: SendSegment[] = [];
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = newSendSegment(i * 100, 100, 0, undefined);
    q.push(s);
    segs.push(s);
    ids.push(q.recordTransmission(s, i, rate));
  }
  return { q, rate, segs, ids };
}

describe('SendQueue', () => {
  it('counts transmitted segments in the pipe and logs each transmission under a fresh id', () => {
    const { q, segs, ids } = sent(3);
    expect(q.pipe).toBe(300);
    expect(ids).toEqual([1, 2, 3]);
    expect(q.lookup(2)?.seg).toBe(segs[1]);
    expect(q.lookup(0)).toBeUndefined(); // tsval 0: a pure ACK, no transmission
    expect(q.lookup(9)).toBeUndefined();
    expect(segs.map((s) => s.xmit)).toEqual([1, 1, 1]);
  });

  it('marks a segment lost once: out of the pipe, and retransmitted lowest first', () => {
    const { q, segs, rate } = sent(4);
    expect(q.markLost(segs[2] as SendSegment)).toBe(true);
    expect(q.markLost(segs[2] as SendSegment)).toBe(false); // already marked
    expect(q.markLost(segs[0] as SendSegment, 0)).toBe(true);
    expect(q.lostCount).toBe(2);
    expect(q.pipe).toBe(200);
    expect(q.nextLost()).toBe(segs[0]);
    q.recordTransmission(segs[0] as SendSegment, 10, rate); // the retransmission clears the mark
    expect(q.lostCount).toBe(1);
    expect(q.pipe).toBe(300);
    expect(q.nextLost()).toBe(segs[2]);
    expect((segs[0] as SendSegment).xmit).toBe(2);
  });

  it('an echo range marks every transmission in it received, above the ACK point only', () => {
    const { q, segs, ids, rate } = sent(6);
    q.markLost(segs[3] as SendSegment, 3); // judged lost, not yet resent: the range spares it
    expect(q.markRangeReceived(ids[0] as number, ids[4] as number, 0, 10, rate)).toBe(4); // not seq 0
    expect(segs.map((s) => s.sacked)).toEqual([false, true, true, true, true, false]);
    expect(q.lostCount).toBe(0);
    expect(q.pipe).toBe(200);
    expect(q.markRangeReceived(ids[1] as number, ids[4] as number, 0, 11, rate)).toBe(0); // known
    expect(q.markRangeReceived(0, ids[5] as number, 0, 12, rate)).toBe(0); // tsval 0: no range
    expect(q.markRangeReceived(ids[5] as number, ids[0] as number, 0, 12, rate)).toBe(0); // backwards
  });

  it('reuses a segment record only once it is acknowledged and no transmission of it is logged', () => {
    const { q, segs, rate } = sent(3);
    q.markLost(segs[0] as SendSegment, 0);
    q.recordTransmission(segs[0] as SendSegment, 5, rate); // logged twice now
    q.acknowledge(200, 6, rate); // segments 0 and 1 acknowledged, still in the log
    const fresh = q.newSegment(300, 100, 0, undefined);
    expect(segs).not.toContain(fresh);
    // The log leaves in order up to segment 2's transmission (not acknowledged): segment 1's only
    // transmission goes, segment 0's retransmission stays behind it.
    q.trimLog(false);
    const a = q.newSegment(400, 50, FIN, undefined);
    expect(a).toBe(segs[1]);
    expect(a).toEqual(newSendSegment(400, 50, FIN, undefined));
    expect(q.newSegment(450, 60, 0, undefined)).not.toBe(segs[0]);
    q.acknowledge(300, 7, rate);
    q.trimLog(false);
    const b = q.newSegment(450, 60, 0, undefined);
    const c = q.newSegment(510, 1, 0, undefined);
    expect([b, c]).toContain(segs[0]);
    expect([b, c]).toContain(segs[2]);
    // Transmission records are reused too, with every field rewritten.
    q.push(a);
    const id = q.recordTransmission(a, 30, rate);
    expect(q.lookup(id)).toMatchObject({ id, seg: a, sentAt: 30 });
    expect(a.lastTx).toBe(q.lookup(id));
  });

  it('never marks a segment already acknowledged or reported received', () => {
    const { q, segs, rate } = sent(3);
    q.markReceived(segs[2] as SendSegment, 5, rate);
    expect(q.markLost(segs[2] as SendSegment)).toBe(false);
    q.acknowledge(100, 6, rate);
    expect(q.markLost(segs[0] as SendSegment)).toBe(false);
    expect(q.lostCount).toBe(0);
    q.markAllLost(); // a retransmission timeout: only the segment not known received
    expect(q.lostCount).toBe(1);
    expect(q.nextLost()).toBe(segs[1]);
    expect(q.pipe).toBe(0);
  });

  it('acknowledges cumulatively, keeping the rest of a segment the ACK cuts', () => {
    const { q, segs, rate } = sent(3);
    rate.beginAck();
    q.acknowledge(150, 20, rate);
    expect(q.length).toBe(2);
    expect(q.front()).toBe(segs[1]);
    expect(segs[0]?.acked).toBe(true);
    expect(segs[1]).toMatchObject({ seq: 150, len: 50 });
    expect(q.pipe).toBe(150);
    expect(rate.newlyDelivered).toBe(150);
  });

  it('keeps the lost cursor right as acknowledged segments leave the front', () => {
    const { q, segs, rate } = sent(5);
    q.markLost(segs[3] as SendSegment);
    q.acknowledge(200, 9, rate);
    expect(q.nextLost()).toBe(segs[3]);
    expect(q.at(1)).toBe(segs[3]);
  });

  it('picks the newest segment not known received for a tail loss probe, the FIN only when alone', () => {
    const { q, segs } = sent(2);
    const fin = newSendSegment(200, 1, FIN, undefined);
    q.push(fin);
    expect(q.tailProbeIndex(FIN)).toBe(1);
    q.markLost(segs[1] as SendSegment);
    q.markLost(segs[0] as SendSegment);
    expect(q.tailProbeIndex(FIN)).toBe(2);
    q.markLost(fin);
    expect(q.tailProbeIndex(FIN)).toBe(-1);
  });

  it('finds each transmission sent before a time once, skipping superseded ones (RACK)', () => {
    const { q, segs, rate } = sent(4);
    q.markLost(segs[1] as SendSegment);
    q.recordTransmission(segs[1] as SendSegment, 10, rate); // its first transmission is superseded
    q.markReceived(segs[2] as SendSegment, 11, rate);
    const found: (SendSegment | undefined)[] = [];
    for (let s = q.nextSentBefore(3.5); s !== undefined; s = q.nextSentBefore(3.5)) found.push(s);
    expect(found).toEqual([segs[0], segs[3]]);
    expect(q.nextSentBefore(3.5)).toBeUndefined();
  });

  it('trims the log of transmissions that can no longer be echoed or scanned', () => {
    const { q, segs, ids, rate } = sent(3);
    q.acknowledge(200, 5, rate);
    q.trimLog(false);
    expect(q.lookup(ids[0] as number)).toBeUndefined();
    expect(q.lookup(ids[2] as number)?.seg).toBe(segs[2]);
    q.clear();
    expect([q.length, q.pipe, q.lostCount]).toEqual([0, 0, 0]);
  });

  it('wraps transmission ids past 2^32 without ever using 0', () => {
    const { q, rate } = sent(0);
    (q as unknown as { nextTxId: number }).nextTxId = 0xffffffff;
    const a = newSendSegment(0, 10, 0, undefined);
    q.push(a);
    expect(q.recordTransmission(a, 0, rate)).toBe(0xffffffff);
    expect(q.recordTransmission(a, 1, rate)).toBe(1);
    expect(q.lookup(1)?.sentAt).toBe(1);
  });
});
