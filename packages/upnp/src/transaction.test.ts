import { describe, expect, it } from 'vitest';
import { ignore, NATPMP_SCHEDULE, PCP_SCHEDULE, RequestTransaction } from './transaction.js';

function drive<R>(txn: RequestTransaction<R>, until: number): { sends: number[]; events: string[] } {
  const sends: number[] = [];
  const events: string[] = [];
  let now = 0;
  txn.start(now);
  for (;;) {
    while (txn.pollTransmit() !== undefined) sends.push(now);
    for (let e = txn.pollEvent(); e; e = txn.pollEvent()) events.push(e.type);
    const t = txn.pollTimeout();
    if (t === undefined || t > until) break;
    now = t;
    txn.handleTimeout(now);
  }
  return { sends, events };
}

describe('RequestTransaction (sans-IO retransmission)', () => {
  it('follows RFC 6886 §3.1: 250 ms doubling, 9 sends, then gives up', () => {
    const txn = new RequestTransaction(new Uint8Array([0, 0]), () => ignore('ignored'), NATPMP_SCHEDULE);
    const { sends, events } = drive(txn, 1_000_000);
    expect(sends).toEqual([0, 250, 750, 1750, 3750, 7750, 15750, 31750, 63750]);
    expect(events).toEqual(['timeout']);
  });

  it('applies ±10 % jitter from the injected random source (RFC 6887 §8.1.1)', () => {
    const low = new RequestTransaction(
      new Uint8Array(1),
      () => ignore('x'),
      PCP_SCHEDULE,
      () => 0,
    );
    low.start(0);
    expect(low.pollTimeout()).toBe(450);
    const high = new RequestTransaction(
      new Uint8Array(1),
      () => ignore('x'),
      PCP_SCHEDULE,
      () => 1,
    );
    high.start(0);
    expect(high.pollTimeout()).toBe(550);
  });

  it('ignores datagrams that do not match and completes on one that does', () => {
    const txn = new RequestTransaction(
      new Uint8Array(1),
      (b) => (b[0] === 7 ? 'ok' : ignore('wrong')),
      NATPMP_SCHEDULE,
    );
    txn.start(0);
    txn.handleInput(new Uint8Array([1]), 10);
    expect(txn.pollEvent()).toEqual({ type: 'ignored', reason: 'wrong' });
    expect(txn.finished).toBe(false);
    txn.handleInput(new Uint8Array([7]), 20);
    expect(txn.pollEvent()).toEqual({ type: 'response', response: 'ok' });
    expect(txn.pollTimeout()).toBeUndefined();
    txn.handleInput(new Uint8Array([7]), 30);
    expect(txn.pollEvent()).toBeUndefined();
  });
});
