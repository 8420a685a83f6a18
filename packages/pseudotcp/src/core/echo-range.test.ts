import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EchoRun, echoRangeLength, MAX_ECHO_RANGE, nextTxId, txIdBefore } from './echo-range.js';

describe('transmission ids (wrap past 2^32, skipping 0)', () => {
  it('next and before step over 0', () => {
    expect(nextTxId(5)).toBe(6);
    expect(nextTxId(0xffffffff)).toBe(1);
    expect(txIdBefore(6, 1)).toBe(5);
    expect(txIdBefore(1, 1)).toBe(0xffffffff);
    expect(txIdBefore(2, 3)).toBe(0xfffffffe);
    expect(txIdBefore(7, 0)).toBe(7);
  });

  it('a range spans as many ids as were stepped over; 0 and oversized ranges are none', () => {
    expect(echoRangeLength(5, 5)).toBe(1);
    expect(echoRangeLength(5, 9)).toBe(5);
    expect(echoRangeLength(0xfffffffe, 2)).toBe(4); // fffffffe ffffffff 1 2
    expect(echoRangeLength(0, 3)).toBe(0);
    expect(echoRangeLength(9, 5)).toBe(0); // backwards: the whole id space
    expect(echoRangeLength(1, MAX_ECHO_RANGE)).toBe(MAX_ECHO_RANGE);
    expect(echoRangeLength(1, MAX_ECHO_RANGE + 1)).toBe(0);
  });

  it('txIdBefore and echoRangeLength agree anywhere in the id space', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.integer({ min: 0, max: MAX_ECHO_RANGE - 1 }),
        (id, n) => {
          const first = txIdBefore(id, n);
          expect(first).not.toBe(0);
          expect(echoRangeLength(first, id)).toBe(n + 1);
          let x = first;
          for (let i = 0; i < n; i++) x = nextTxId(x);
          expect(x).toBe(id);
        },
      ),
    );
  });
});

describe('EchoRun: the range a pure ACK reports', () => {
  const arrive = (run: EchoRun, ...ids: number[]) => {
    for (const id of ids) run.onArrival(id);
  };

  it('reports what arrived since the ACK before the previous one (each arrival in two ACKs)', () => {
    const run = new EchoRun();
    arrive(run, 10, 11, 12);
    expect(run.rangeStart(12)).toBe(10);
    run.onRangeSent();
    arrive(run, 13, 14);
    expect(run.rangeStart(14)).toBe(10); // 10-12 again, in case the first ACK was lost
    run.onRangeSent();
    arrive(run, 15);
    expect(run.rangeStart(15)).toBe(13);
  });

  it('a gap in the ids starts a new run: nothing before it is claimed', () => {
    const run = new EchoRun();
    arrive(run, 10, 11);
    run.onRangeSent();
    expect(run.leavesUnreported(13)).toBe(false); // 10-11 were reported
    arrive(run, 13);
    expect(run.rangeStart(13)).toBe(13);
    arrive(run, 14);
    expect(run.leavesUnreported(16)).toBe(true); // 13-14 not yet reported
    expect(run.leavesUnreported(15)).toBe(false);
  });

  it('no range when the echo is not the latest arrival, or nothing arrived', () => {
    const run = new EchoRun();
    expect(run.rangeStart(0)).toBe(0);
    arrive(run, 10, 11);
    expect(run.rangeStart(10)).toBe(0);
    expect(run.rangeStart(11)).toBe(10);
  });

  it('a duplicate id (a duplicated datagram) is a gap', () => {
    const run = new EchoRun();
    arrive(run, 10, 11, 11);
    expect(run.rangeStart(11)).toBe(11);
  });

  it('never reports more than MAX_ECHO_RANGE ids', () => {
    const run = new EchoRun();
    for (let id = 1; id <= MAX_ECHO_RANGE + 10; id++) run.onArrival(id);
    expect(echoRangeLength(run.rangeStart(MAX_ECHO_RANGE + 10), MAX_ECHO_RANGE + 10)).toBe(MAX_ECHO_RANGE);
  });
});
