import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineTimer } from './deadline-timer.js';

describe('DeadlineTimer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  const clock = () => Date.now();

  it('fires once at the deadline', () => {
    const fire = vi.fn();
    const t = new DeadlineTimer(fire, clock);
    t.set(clock() + 50);
    vi.advanceTimersByTime(49);
    expect(fire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fire).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it('keeps an earlier deadline and moves to a sooner one', () => {
    const fire = vi.fn();
    const t = new DeadlineTimer(fire, clock);
    t.set(clock() + 50);
    t.set(clock() + 80); // later: the 50 ms timer stays
    vi.advanceTimersByTime(50);
    expect(fire).toHaveBeenCalledTimes(1);
    t.set(clock() + 80);
    t.set(clock() + 10); // sooner: re-armed
    vi.advanceTimersByTime(10);
    expect(fire).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(100);
    expect(fire).toHaveBeenCalledTimes(2);
  });

  it('clears on undefined and on clear(); a past deadline fires at once', () => {
    const fire = vi.fn();
    const t = new DeadlineTimer(fire, clock);
    t.set(clock() + 20);
    t.set(undefined);
    t.set(clock() + 20);
    expect(t.armed).toBe(true);
    t.clear();
    expect(t.armed).toBe(false);
    vi.advanceTimersByTime(100);
    expect(fire).not.toHaveBeenCalled();
    t.set(clock() - 5);
    vi.advanceTimersByTime(0);
    expect(fire).toHaveBeenCalledTimes(1);
  });
});
