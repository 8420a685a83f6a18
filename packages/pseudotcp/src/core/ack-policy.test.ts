import { describe, expect, it } from 'vitest';
import { AckPolicy, OWED_ACK_LIMIT } from './ack-policy.js';

type Step =
  | { data: number; at?: number; filledHole?: boolean }
  | { outOfOrder: number; reported: boolean }
  | { timeout: number }
  | { immediate: true }
  | { sent: true };

interface Row {
  why: string;
  ackDelay?: number;
  steps: Step[];
  expect: { immediate: boolean; owed: boolean; deadline: number | undefined };
}

const MSS = 1284;
// Each row: what arrived, and whether an ACK then goes out at once, when output is next drained,
// or on the delayed-ACK timer.
const rows: Row[] = [
  {
    why: 'RFC 9293 §3.8.6.3: a single in-order segment may wait, less than 0.5 s (libnice: 100 ms)',
    steps: [{ data: MSS, at: 5 }],
    expect: { immediate: false, owed: false, deadline: 105 },
  },
  {
    why: 'RFC 9293 §3.8.6.3 (RFC 1122 §4.2.3.2): at least every second full-sized segment',
    steps: [
      { data: MSS, at: 5 },
      { data: MSS, at: 6 },
    ],
    expect: { immediate: false, owed: true, deadline: 105 },
  },
  {
    why: 'after an ACK went out, the next segment starts a new timer',
    steps: [{ data: 10, at: 5 }, { sent: true }, { data: 10, at: 50 }],
    expect: { immediate: false, owed: false, deadline: 150 },
  },
  {
    why: 'the delayed ACK becomes due when its timer fires',
    steps: [{ data: MSS, at: 5 }, { timeout: 104 }, { timeout: 105 }],
    expect: { immediate: true, owed: false, deadline: 105 },
  },
  {
    why: 'RFC 5681 §4.2: a segment that fills a hole is acknowledged at once',
    steps: [{ data: MSS, filledHole: true }],
    expect: { immediate: true, owed: false, deadline: undefined },
  },
  {
    why: 'ackDelay 0 acknowledges every segment at once',
    ackDelay: 0,
    steps: [{ data: MSS }],
    expect: { immediate: true, owed: false, deadline: undefined },
  },
  {
    why: 'an owed ACK goes out at once after 64 KiB without one',
    steps: [{ data: MSS }, { data: OWED_ACK_LIMIT - MSS }],
    expect: { immediate: true, owed: false, deadline: 100 },
  },
  {
    why: 'out of order, a duplicate, a FIN, a probe: at once (RFC 5681 §4.2)',
    steps: [{ immediate: true }],
    expect: { immediate: true, owed: false, deadline: undefined },
  },
  {
    why: 'RFC 5681 §4.2 (SHOULD): out of order, not covered by an echo range: at once',
    steps: [{ outOfOrder: MSS, reported: false }],
    expect: { immediate: true, owed: false, deadline: undefined },
  },
  {
    why: 'out of order and reported by the echo range of the next ACK: when output is next drained',
    steps: [
      { outOfOrder: MSS, reported: true },
      { outOfOrder: MSS, reported: true },
    ],
    expect: { immediate: false, owed: true, deadline: undefined },
  },
  {
    why: 'out-of-order data reported by echo ranges still gets an ACK every 64 KiB',
    steps: [
      { outOfOrder: OWED_ACK_LIMIT - MSS, reported: true },
      { outOfOrder: MSS, reported: true },
    ],
    expect: { immediate: true, owed: true, deadline: undefined },
  },
  {
    why: 'the out-of-order count starts again after an ACK went out',
    steps: [
      { outOfOrder: OWED_ACK_LIMIT - MSS, reported: true },
      { sent: true },
      { outOfOrder: MSS, reported: true },
    ],
    expect: { immediate: false, owed: true, deadline: undefined },
  },
  {
    why: 'any segment we send carries the ACK: nothing is owed after it',
    steps: [{ data: MSS }, { data: MSS }, { immediate: true }, { sent: true }],
    expect: { immediate: false, owed: false, deadline: undefined },
  },
];

describe('AckPolicy', () => {
  for (const row of rows) {
    it(row.why, () => {
      const p = new AckPolicy(row.ackDelay ?? 100, 0);
      let rcvNxt = 0;
      for (const step of row.steps) {
        if ('data' in step) {
          rcvNxt += step.data;
          p.onInOrderData(step.at ?? 0, rcvNxt, step.filledHole ?? false);
        } else if ('outOfOrder' in step) p.onOutOfOrderData(step.outOfOrder, step.reported);
        else if ('timeout' in step) p.onTimeout(step.timeout);
        else if ('immediate' in step) p.requestImmediate();
        else p.onAckSent(rcvNxt);
      }
      expect({ immediate: p.immediate, owed: p.owed, deadline: p.deadline }).toEqual(row.expect);
      expect(p.pending).toBe(row.expect.immediate || row.expect.owed || row.expect.deadline !== undefined);
    });
  }

  it('remembers the ACK point last announced, and cancel forgets what is owed', () => {
    const p = new AckPolicy(100, 7);
    expect(p.lastAckPoint).toBe(7);
    p.onInOrderData(0, 1000, false);
    p.onInOrderData(0, 2000, false);
    p.onAckSent(2000);
    expect(p.lastAckPoint).toBe(2000);
    p.onInOrderData(0, 3000, false);
    p.requestImmediate();
    p.cancel();
    expect(p.pending).toBe(false);
  });
});
