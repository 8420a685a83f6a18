import { describe, expect, it } from 'vitest';
import { DeliveryRateEstimator, type DeliverySnapshot, type RateSample } from './delivery-rate.js';

/** A transmission leaving at `now` with `inflight` bytes before it, recorded as the send queue does. */
function send(e: DeliveryRateEstimator, now: number, inflight: number): DeliverySnapshot {
  e.onSend(now, inflight);
  return {
    sentAt: now,
    delivered: e.delivered,
    deliveredTime: e.deliveredTime,
    firstSentTime: e.firstSentTime,
    appLimited: e.appLimited,
  };
}
const emptySample = (): RateSample => ({
  deliveryRate: undefined,
  rateAppLimited: false,
  priorDelivered: 0,
  totalDelivered: 0,
});

describe('DeliveryRateEstimator', () => {
  it('measures bytes delivered between a transmission and its ACK over the longer interval', () => {
    const e = new DeliveryRateEstimator();
    // Ten 1000-byte segments sent 1 ms apart from t=0, each delivered 50 ms after it was sent.
    const txs = Array.from({ length: 10 }, (_, i) => send(e, i, i * 1000));
    const out = emptySample();
    for (const [i, tx] of txs.entries()) {
      e.beginAck();
      e.onDelivered(1000, tx, 50 + i);
      e.sample(out, 50);
      expect(e.newlyDelivered).toBe(1000);
      expect(out.totalDelivered).toBe(1000 * (i + 1));
      expect(out.priorDelivered).toBe(0); // all were sent before anything was delivered
    }
    // The last: 10,000 bytes over max(send 9 ms, ack 59 ms) = 59 ms; under minRtt/2 it is no sample.
    expect(out.deliveryRate).toBeCloseTo(10_000 / 59);
  });

  it('takes the sample from the most recently sent transmission an ACK delivers', () => {
    const e = new DeliveryRateEstimator();
    const a = send(e, 0, 0);
    const b = send(e, 10, 1000);
    e.beginAck();
    e.onDelivered(1000, b, 40);
    e.onDelivered(1000, a, 40);
    e.onPartlyDelivered(500);
    const out = emptySample();
    e.sample(out, 0);
    expect(e.newlyDelivered).toBe(2500);
    // From b (sent 10 ms into the flight): all 2500 bytes delivered since it left, over the ACK
    // interval of 40 ms (longer than its send interval of 10 ms).
    expect(out.deliveryRate).toBeCloseTo(2500 / 40);
  });

  it('gives no rate for an interval shorter than half the minimum RTT, nor without a transmission', () => {
    const e = new DeliveryRateEstimator();
    const a = send(e, 0, 0);
    e.beginAck();
    e.onDelivered(1000, a, 10);
    const out = emptySample();
    e.sample(out, 100);
    expect(out.deliveryRate).toBeUndefined();
    e.beginAck();
    e.onPartlyDelivered(100);
    e.sample(out, 0);
    expect(out.deliveryRate).toBeUndefined();
    expect(out.priorDelivered).toBe(1100);
  });

  it('marks transmissions application-limited until what was in flight is delivered', () => {
    const e = new DeliveryRateEstimator();
    e.markAppLimited(2000);
    const a = send(e, 0, 0);
    expect(a.appLimited).toBe(true);
    const out = emptySample();
    e.beginAck();
    e.onDelivered(2500, a, 20);
    e.sample(out, 0);
    expect(out.rateAppLimited).toBe(true);
    const b = send(e, 20, 0);
    expect(b.appLimited).toBe(false); // 2500 delivered > 2000: the limit is over
  });
});
