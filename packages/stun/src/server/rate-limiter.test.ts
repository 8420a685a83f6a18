import { expect, test } from 'vitest';
import type { TransportAddress } from '../codec/index.js';
import { SourceRateLimiter } from './rate-limiter.js';

const v4 = (i: number): TransportAddress => ({
  family: 'IPv4',
  address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  port: 1000,
});

test('token bucket: burst, then refill at the rate, capped at the burst', () => {
  const l = new SourceRateLimiter({ rate: 50, burst: 100, maxSources: 10 });
  let ok = 0;
  for (let i = 0; i < 1000; i++) if (l.take(v4(1), 0)) ok++;
  expect(ok).toBe(100);
  ok = 0;
  for (let i = 0; i < 1000; i++) if (l.take(v4(1), 100)) ok++;
  expect(ok).toBe(5); // 100 ms at 50/s
  ok = 0;
  for (let i = 0; i < 1000; i++) if (l.take(v4(1), 60_000)) ok++;
  expect(ok).toBe(100);
});

test('the port does not count; an IPv6 source counts by its /64', () => {
  const l = new SourceRateLimiter({ rate: 1, burst: 2, maxSources: 10 });
  expect(l.take({ ...v4(1), port: 1 }, 0)).toBe(true);
  expect(l.take({ ...v4(1), port: 2 }, 0)).toBe(true);
  expect(l.take({ ...v4(1), port: 3 }, 0)).toBe(false);
  const a: TransportAddress = { family: 'IPv6', address: '2001:db8:0:1::1', port: 1 };
  expect(l.take(a, 0)).toBe(true);
  expect(l.take({ ...a, address: '2001:db8:0:1:ffff::2' }, 0)).toBe(true);
  expect(l.take({ ...a, address: '2001:db8:0:1::3' }, 0)).toBe(false);
  expect(l.take({ ...a, address: '2001:db8:0:2::1' }, 0)).toBe(true);
});

test('the table stays bounded under a flood of spoofed sources', () => {
  const l = new SourceRateLimiter({ rate: 50, burst: 100, maxSources: 1000 });
  for (let i = 0; i < 100_000; i++) l.take(v4(i), i / 100);
  expect(l.size).toBe(1000);
  expect(l.evictions).toBeGreaterThan(0);
});

test('forgetting a refilled bucket is not counted as an eviction', () => {
  const l = new SourceRateLimiter({ rate: 100, burst: 1, maxSources: 2 });
  l.take(v4(1), 0);
  l.take(v4(2), 0);
  l.take(v4(3), 1000); // v4(1) refilled long ago
  expect(l.evictions).toBe(0);
  l.take(v4(4), 1000); // v4(2) refilled too
  l.take(v4(5), 1000); // v4(3) has just spent its token
  expect(l.evictions).toBe(1);
  expect(l.size).toBe(2);
});

test('bad limits are refused', () => {
  expect(() => new SourceRateLimiter({ rate: 0, burst: 1, maxSources: 1 })).toThrow(RangeError);
  expect(() => new SourceRateLimiter({ rate: 1, burst: 0.5, maxSources: 1 })).toThrow(RangeError);
  expect(() => new SourceRateLimiter({ rate: 1, burst: 1, maxSources: 0 })).toThrow(RangeError);
});
