import { describe, expect, it } from 'vitest';
import { computeSchedule, retransmissionWait } from './schedule.js';

describe('retransmissionWait (RFC 8489 §6.2.1, step by step)', () => {
  it.each([
    // [sent, options, wait] — §6.2.1: RTO, doubled after each send; Rm·RTO after the last (Rc-th).
    [1, {}, 500],
    [2, {}, 1000],
    [6, {}, 16_000],
    [7, {}, 8000],
    [3, { rto: 100, rc: 3, rm: 4 }, 400],
    [2, { rto: 100, rc: 3, rm: 4 }, 200],
    // the cap bounds every wait, the last one included
    [6, { maxInterval: 2000 }, 2000],
    [7, { maxInterval: 2000 }, 2000],
    [1, { maxInterval: 2000 }, 500],
    [1000, { rc: 1000, maxInterval: 2000 }, 2000],
    [1, { maxInterval: Number.POSITIVE_INFINITY }, 500],
  ])('after send %i with %o: %i ms', (sent, options, wait) => {
    expect(retransmissionWait(sent, options)).toBe(wait);
  });

  it('computeSchedule is the sum of the waits', () => {
    const options = { rto: 300, rc: 5, rm: 10, maxInterval: 1000 };
    const { sends, failAt } = computeSchedule(options);
    expect(sends).toEqual([0, 300, 900, 1900, 2900]);
    expect(failAt).toBe(2900 + 1000);
    for (let i = 1; i < sends.length; i++)
      expect((sends[i] as number) - (sends[i - 1] as number)).toBe(retransmissionWait(i, options));
  });

  it('refuses a cap that is not a positive number', () => {
    expect(() => retransmissionWait(1, { maxInterval: 0 })).toThrow(RangeError);
    expect(() => retransmissionWait(1, { maxInterval: Number.NaN })).toThrow(RangeError);
    expect(() => computeSchedule({ maxInterval: -1 })).toThrow(RangeError);
  });
});
