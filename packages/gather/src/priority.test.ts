import { describe, expect, test } from 'vitest';
import { computeFoundation } from './foundation.js';
import { candidatePriority, localPreferences, TYPE_PREFERENCE } from './priority.js';

describe('candidate priority (RFC 8445 §5.1.2.1)', () => {
  test('formula', () => {
    expect(candidatePriority('host', 65535, 1)).toBe(2130706431);
    expect(candidatePriority('srflx', 65535, 1)).toBe(1694498815);
    expect(candidatePriority('relay', 65535)).toBe(16777215);
    expect(candidatePriority('prflx', 0, 2)).toBe(110 * 2 ** 24 + 254);
    expect(() => candidatePriority('host', 65536)).toThrow(RangeError);
    expect(() => candidatePriority('host', 0, 0)).toThrow(RangeError);
    expect(() => candidatePriority('bogus' as never, 0)).toThrow(RangeError);
    expect(TYPE_PREFERENCE.host).toBe(126);
  });

  test('local preferences interleave IPv6 and IPv4 (RFC 8421)', () => {
    const prefs = localPreferences([
      { address: '192.0.2.1', family: 'IPv4' },
      { address: '192.0.2.2', family: 'IPv4' },
      { address: '2001:db8::1', family: 'IPv6' },
    ]);
    const order = [...prefs.entries()].sort((a, b) => b[1] - a[1]).map(([a]) => a);
    expect(order).toEqual(['2001:db8::1', '192.0.2.1', '192.0.2.2']);
    expect(new Set(prefs.values()).size).toBe(3);
  });
});

describe('foundation (RFC 8445 §5.1.1.3)', () => {
  test('same type, base, server and transport share a foundation; anything else differs', () => {
    const f = computeFoundation('srflx', '10.0.0.2', '203.0.113.10', 'udp');
    expect(computeFoundation('srflx', '10.0.0.2', '203.0.113.10', 'udp')).toBe(f);
    expect(computeFoundation('srflx', '10.0.0.2', '203.0.113.11', 'udp')).not.toBe(f);
    expect(computeFoundation('srflx', '10.0.0.3', '203.0.113.10', 'udp')).not.toBe(f);
    expect(computeFoundation('relay', '10.0.0.2', '203.0.113.10', 'udp')).not.toBe(f);
    expect(f).toMatch(/^[0-9]{1,32}$/);
  });
});
