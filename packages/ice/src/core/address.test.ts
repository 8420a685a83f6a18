import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpv4, parseIpv6, remoteAddressProblem } from './address.js';

describe('address literals', () => {
  it('arbitrary strings: the parsers answer undefined or an address, never throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.integer({ min: -5, max: 70_000 }), (s, port) => {
        const v4 = parseIpv4(s);
        const v6 = parseIpv6(s);
        if (v4) expect(isIPv4(s)).toBe(true);
        if (v6) expect(v6).toHaveLength(8);
        for (const family of ['IPv4', 'IPv6'] as const) remoteAddressProblem({ family, address: s, port });
      }),
      { numRuns: 2000 },
    );
  });

  it('every IPv4 and IPv6 literal parses, and agrees with Node', () => {
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        expect(parseIpv4(s)).toEqual(s.split('.').map(Number));
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        expect(isIPv6(s)).toBe(true);
        const g = parseIpv6(s);
        expect(g).toHaveLength(8);
        expect(g?.every((x) => x >= 0 && x <= 0xffff)).toBe(true);
      }),
    );
  });

  it('strings made of address characters: parseIpv6 accepts exactly what Node accepts', () => {
    const chars = fc.constantFrom(...'0123456789abcdef:.'.split(''));
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 45 }).map((a) => a.join('')),
        (s) => {
          expect(parseIpv6(s) !== undefined).toBe(isIPv6(s));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
