import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatTransportAddress, sameTransportAddress } from './address.js';
import { ipv6ToText } from './codec/address.js';
import type { TransportAddress } from './codec/index.js';
import { parseIpv6 } from './ip-text.js';

const v6 = (address: string, port = 3478): TransportAddress => ({ family: 'IPv6', address, port });
const v4 = (address: string, port = 3478): TransportAddress => ({ family: 'IPv4', address, port });

describe('sameTransportAddress: family, port, and the address by value', () => {
  test.each([
    ['identical IPv4', v4('192.0.2.1'), v4('192.0.2.1'), true],
    ['another IPv4 address', v4('192.0.2.1'), v4('192.0.2.2'), false],
    ['another port', v4('192.0.2.1', 1), v4('192.0.2.1', 2), false],
    ['IPv6 case', v6('2001:DB8::1'), v6('2001:db8::1'), true],
    ['IPv6 leading zeros and compression', v6('2001:0db8:0:0:0:0:0:0001'), v6('2001:db8::1'), true],
    ['IPv6 embedded IPv4 tail', v6('::ffff:192.0.2.1'), v6('::ffff:c000:201'), true],
    ['another IPv6 address', v6('2001:db8::1'), v6('2001:db8::2'), false],
    ['the same zone', v6('fe80::1%eth0'), v6('FE80::1%eth0'), true],
    ['another zone', v6('fe80::1%eth0'), v6('fe80::1%eth1'), false],
    ['a zone on one side only', v6('fe80::1%eth0'), v6('fe80::1'), false],
    ['family differs though the text is the same', v4('192.0.2.1'), { ...v6('192.0.2.1') }, false],
    ['text that is no address: compared as it is', v6('not-an-address'), v6('NOT-AN-ADDRESS'), false],
  ])('%s', (_, a, b, same) => {
    expect(sameTransportAddress(a, b)).toBe(same);
    expect(sameTransportAddress(b, a)).toBe(same);
  });

  test('property: any IPv6 address equals its canonical text, upper-cased or not', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 65535 }),
        (b, port) => {
          const canonical = ipv6ToText(b, 0);
          const groups = parseIpv6(canonical);
          const full = groups?.map((g) => g.toString(16).padStart(4, '0').toUpperCase()).join(':') ?? '';
          expect(sameTransportAddress(v6(canonical, port), v6(full, port))).toBe(true);
          expect(sameTransportAddress(v6(canonical, port), v6(full, (port + 1) % 65536))).toBe(false);
        },
      ),
    );
  });
});

test('formatTransportAddress brackets IPv6', () => {
  expect(formatTransportAddress(v4('192.0.2.1'))).toBe('192.0.2.1:3478');
  expect(formatTransportAddress(v6('2001:db8::1', 1))).toBe('[2001:db8::1]:1');
});
