import { describe, expect, it } from 'vitest';
import { RetransmitBudget } from './retransmit-budget.js';

describe('RetransmitBudget', () => {
  it('spends the burst at once, then one token per 1/rate s', () => {
    const b = new RetransmitBudget(4, 3);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.untilNextToken()).toBe(250);
    expect(b.take(249)).toBe(false);
    expect(b.take(250)).toBe(true);
    expect(b.take(250)).toBe(false);
  });

  it('saves up no more than the burst', () => {
    const b = new RetransmitBudget(4, 2);
    b.take(0);
    b.take(0);
    expect(b.take(10_000)).toBe(true);
    expect(b.take(10_000)).toBe(true);
    expect(b.take(10_000)).toBe(false);
  });

  it('an infinite rate is no budget', () => {
    const b = new RetransmitBudget(Number.POSITIVE_INFINITY, 0);
    for (let i = 0; i < 100; i++) expect(b.take(0)).toBe(true);
  });

  it('waits at least 1 ms', () => {
    const b = new RetransmitBudget(1e9, 1);
    b.take(0);
    expect(b.take(0)).toBe(false);
    expect(b.untilNextToken()).toBe(1);
  });
});
