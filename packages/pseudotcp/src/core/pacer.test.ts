import { describe, expect, it } from 'vitest';
import { Pacer } from './pacer.js';

describe('Pacer', () => {
  it('lets everything through without a finite rate', () => {
    const p = new Pacer();
    p.onSent(0, 1400, Number.POSITIVE_INFINITY, 1284);
    expect(p.mayRelease(0, Number.POSITIVE_INFINITY)).toBe(true);
    expect(p.waiting).toBe(false);
  });

  it('spaces datagrams size / rate apart and asks for a timer when one is not due', () => {
    const p = new Pacer();
    const rate = 100; // bytes per ms
    expect(p.mayRelease(0, rate)).toBe(true);
    p.onSent(0, 1000, rate, 1000);
    expect(p.nextSendTime).toBe(10);
    expect(p.mayRelease(5, rate)).toBe(false);
    expect(p.waiting).toBe(true);
    expect(p.mayRelease(10, rate)).toBe(true);
  });

  it('shortens the scheduled wait when the rate rises', () => {
    const p = new Pacer();
    p.onSent(0, 1000, 10, 1000); // next at 100 ms
    expect(p.mayRelease(1, 1000)).toBe(false); // at 1000 B/ms the last datagram needs 1 ms
    expect(p.nextSendTime).toBe(2);
    expect(p.mayRelease(2, 1000)).toBe(true);
  });

  it('catches up at most max(2 x mss / rate, 2 ms) after the caller was late', () => {
    const p = new Pacer();
    p.onSent(0, 100, 100, 1000); // next at 1
    p.onSent(1000, 100, 100, 1000); // late by 999 ms: the credit is 20 ms at most
    expect(p.nextSendTime).toBe(1000 - 20 + 1);
  });

  it('reset lets sending resume at once', () => {
    const p = new Pacer();
    p.onSent(0, 10_000, 1, 1000);
    p.reset(5);
    expect(p.mayRelease(5, 1)).toBe(true);
  });
});
