// The server's decisions, one row each: request -> answer or drop, with the RFC section behind it.
// Every error answer must be no larger than its request (no amplification, RFC 8489 §16.1.2);
// only a Binding success response may be larger (its attributes are required by RFC 5780 §6.1).
import { describe, expect, test } from 'vitest';
import {
  AttributeType,
  decodeStunMessage,
  type StunMessage,
  StunMessageBuilder,
  StunMethod,
  type TransportAddress,
} from '../codec/index.js';
import { StunBindingServer } from './binding-server.js';

const ip1p1: TransportAddress = { family: 'IPv4', address: '192.0.2.10', port: 3478 };
const ip2p2: TransportAddress = { family: 'IPv4', address: '192.0.2.11', port: 3479 };
const client: TransportAddress = { family: 'IPv4', address: '198.51.100.7', port: 40000 };
const v6p1: TransportAddress = { family: 'IPv6', address: '2001:db8::10', port: 3478 };
const v6p2: TransportAddress = { family: 'IPv6', address: '2001:db8::11', port: 3479 };
const client6: TransportAddress = { family: 'IPv6', address: '2001:db8:1::7', port: 40000 };

const binding = () => new StunMessageBuilder('request', StunMethod.Binding);
/** `n` unknown comprehension-required attributes with empty values. */
const unknowns = (n: number) => {
  const b = binding();
  for (let i = 0; i < n; i++) b.addRaw(0x4000 + i, new Uint8Array(0));
  return b.build();
};

type Expect =
  | 'drop'
  | {
      class: 'success' | 'error';
      code?: number;
      has?: string[];
      lacks?: string[];
      check?: (m: StunMessage, data: Uint8Array, request: Uint8Array, to: TransportAddress) => void;
    };

interface Row {
  what: string;
  rfc: string;
  request: () => Uint8Array;
  alternate?: boolean;
  v6?: boolean;
  expect: Expect;
}

const rows: Row[] = [
  {
    what: 'plain 20-byte Binding',
    rfc: 'RFC 8489 §6.3.1.1, RFC 5780 §6.1',
    request: () => binding().build(),
    expect: {
      class: 'success',
      has: ['XOR_MAPPED_ADDRESS', 'RESPONSE_ORIGIN'],
      lacks: ['MAPPED_ADDRESS', 'OTHER_ADDRESS', 'SOFTWARE'],
      check: (_m, data) => expect(data.length).toBe(44),
    },
  },
  {
    what: 'plain Binding to an RFC 5780 server',
    rfc: 'RFC 5780 §6.1 (OTHER-ADDRESS MUST), §7.4',
    alternate: true,
    request: () => binding().build(),
    expect: { class: 'success', has: ['OTHER_ADDRESS'], lacks: ['MAPPED_ADDRESS', 'SOFTWARE'] },
  },
  {
    what: 'Binding with FINGERPRINT',
    rfc: 'RFC 8489 §7.3 (a multiplexing client needs it back)',
    request: () => binding().build({ fingerprint: true }),
    expect: { class: 'success', has: ['FINGERPRINT'] },
  },
  {
    what: 'Binding large enough to carry SOFTWARE',
    rfc: 'RFC 8489 §14.14 (optional): only within the request size',
    request: () => binding().addRaw(0xc0de, new Uint8Array(40)).build(),
    expect: {
      class: 'success',
      has: ['SOFTWARE'],
      check: (_m, d, r) => expect(d.length).toBeLessThanOrEqual(r.length),
    },
  },
  {
    what: 'CHANGE-REQUEST to an RFC 5780 server',
    rfc: 'RFC 5780 §6.1 (MAPPED-ADDRESS and XOR-MAPPED-ADDRESS MUST)',
    alternate: true,
    request: () => binding().add('CHANGE_REQUEST', { changeIp: true, changePort: true }).build(),
    expect: { class: 'success', has: ['MAPPED_ADDRESS', 'XOR_MAPPED_ADDRESS', 'OTHER_ADDRESS'] },
  },
  {
    what: 'IPv6 CHANGE-REQUEST: the largest Binding success (exempt)',
    rfc: 'RFC 5780 §6.1',
    alternate: true,
    v6: true,
    request: () => binding().add('CHANGE_REQUEST', { changeIp: false, changePort: true }).build(),
    expect: { class: 'success', check: (_m, d) => expect(d.length).toBe(20 + 4 * 24) },
  },
  {
    what: 'CHANGE-REQUEST without an alternate address (28 bytes)',
    rfc: 'RFC 5780 §6 (420 MUST); list left out: it would not fit',
    request: () => binding().add('CHANGE_REQUEST', { changeIp: true, changePort: false }).build(),
    expect: { class: 'error', code: 420, lacks: ['UNKNOWN_ATTRIBUTES'] },
  },
  {
    what: 'CHANGE-REQUEST with no flags, no alternate address',
    rfc: 'RFC 5780 §6 ("any Request with a CHANGE-REQUEST attribute")',
    request: () =>
      binding().add('CHANGE_REQUEST', { changeIp: false, changePort: false }).build({ fingerprint: true }),
    expect: {
      class: 'error',
      code: 420,
      check: (m) => expect(m.get('UNKNOWN_ATTRIBUTES')).toEqual([AttributeType.CHANGE_REQUEST]),
    },
  },
  {
    what: 'malformed CHANGE-REQUEST',
    rfc: 'RFC 8489 §6.3.1 (400)',
    alternate: true,
    request: () => binding().addRaw(AttributeType.CHANGE_REQUEST, new Uint8Array(2)).build(),
    expect: { class: 'error', code: 400 },
  },
  {
    what: 'RESPONSE-PORT 0',
    rfc: 'RFC 5780 §7.5: nothing can be sent to port 0 -> 400, to the source port',
    request: () => binding().add('RESPONSE_PORT', 0).build(),
    expect: { class: 'error', code: 400, check: (_m, _d, _r, to) => expect(to).toEqual(client) },
  },
  {
    what: 'RESPONSE-PORT 5555',
    rfc: 'RFC 5780 §7.5 (to the source IP, that port)',
    request: () => binding().add('RESPONSE_PORT', 5555).build(),
    expect: {
      class: 'success',
      has: ['MAPPED_ADDRESS'],
      check: (_m, _d, _r, to) => expect(to.port).toBe(5555),
    },
  },
  {
    what: 'RESPONSE-PORT with PADDING',
    rfc: 'RFC 5780 §6.1 and §7.5 (400 MUST)',
    request: () => binding().add('RESPONSE_PORT', 5555).add('PADDING', new Uint8Array(1200)).build(),
    expect: { class: 'error', code: 400, check: (_m, _d, _r, to) => expect(to).toEqual(client) },
  },
  {
    what: 'PADDING 1400: padded up to the request size, never beyond',
    rfc: 'RFC 5780 §6.1 (PADDING MUST), §7.6',
    alternate: true,
    request: () => binding().add('PADDING', new Uint8Array(1400)).build(),
    expect: {
      class: 'success',
      has: ['PADDING'],
      check: (_m, d, r) => {
        expect(d.length).toBeLessThanOrEqual(r.length);
        expect(d.length).toBeGreaterThan(r.length - 4);
      },
    },
  },
  {
    what: 'PADDING 4: empty PADDING back',
    rfc: 'RFC 5780 §6.1',
    request: () => binding().add('PADDING', new Uint8Array(4)).build(),
    expect: { class: 'success', check: (m) => expect(m.get('PADDING')?.length).toBe(0) },
  },
  {
    what: 'another method, 20 bytes',
    rfc: 'RFC 8489 §6.3.1 (400) but a 28-byte error would exceed it -> withheld',
    request: () => new StunMessageBuilder('request', StunMethod.Allocate).build(),
    expect: 'drop',
  },
  {
    what: 'another method, 28 bytes',
    rfc: 'RFC 8489 §6.3.1 (400), reason cut to fit',
    request: () => new StunMessageBuilder('request', StunMethod.Allocate).add('SOFTWARE', 'x').build(),
    expect: { class: 'error', code: 400, check: (_m, d) => expect(d.length).toBe(28) },
  },
  {
    what: 'one unknown attribute, 24 bytes',
    rfc: 'RFC 8489 §6.3.1 (420) would exceed it -> withheld',
    request: () => unknowns(1),
    expect: 'drop',
  },
  {
    what: 'four unknown attributes, 36 bytes',
    rfc: 'RFC 8489 §14.13: list truncated to what fits',
    request: () => unknowns(4),
    expect: {
      class: 'error',
      code: 420,
      check: (m) => expect(m.get('UNKNOWN_ATTRIBUTES')).toEqual([0x4000, 0x4001]),
    },
  },
  {
    what: '2000 unknown attributes',
    rfc: 'RFC 8489 §14.13: all listed (2 bytes each, the request spent 4)',
    request: () => unknowns(2000),
    expect: {
      class: 'error',
      code: 420,
      check: (m) => expect(m.get('UNKNOWN_ATTRIBUTES')).toHaveLength(2000),
    },
  },
  {
    what: 'header-only request whose length field lies',
    rfc: 'RFC 8489 §6.3.1 (400) would exceed it -> withheld',
    request: () => {
      const b = binding().build();
      b[3] = 8;
      return b;
    },
    expect: 'drop',
  },
  {
    what: 'malformed 40-byte request',
    rfc: 'RFC 8489 §6.3.1 (400)',
    request: () => {
      const b = binding().addRaw(0x8001, new Uint8Array(16)).build();
      b[22] = 0x40;
      return b;
    },
    expect: { class: 'error', code: 400 },
  },
  {
    what: 'indication',
    rfc: 'RFC 8489 §6.3.2 (never answered)',
    request: () => new StunMessageBuilder('indication', StunMethod.Binding).build(),
    expect: 'drop',
  },
  {
    what: 'success response',
    rfc: 'RFC 8489 §6.3.3 (never answered)',
    request: () => new StunMessageBuilder('success', StunMethod.Binding).build(),
    expect: 'drop',
  },
  {
    what: 'bad FINGERPRINT',
    rfc: 'RFC 8489 §7 (not STUN: discarded)',
    request: () => {
      const b = binding().build({ fingerprint: true });
      b[b.length - 1]! ^= 1;
      return b;
    },
    expect: 'drop',
  },
  {
    what: 'not STUN',
    rfc: 'RFC 8489 §5',
    request: () => new Uint8Array([0x80, 0x60, 0, 0, ...new Uint8Array(40)]),
    expect: 'drop',
  },
  {
    what: 'RFC 3489 request (no magic cookie)',
    rfc: 'RFC 8489 §12: MAPPED-ADDRESS only',
    request: () => {
      const b = binding().build();
      b.set([1, 2, 3, 4], 4);
      return b;
    },
    expect: { class: 'success', has: ['MAPPED_ADDRESS'], lacks: ['XOR_MAPPED_ADDRESS'] },
  },
];

describe('request -> answer or drop', () => {
  test.each(rows)('$what ($rfc)', (row) => {
    const primary = row.v6 ? v6p1 : ip1p1;
    const from = row.v6 ? client6 : client;
    const s = new StunBindingServer({
      primary,
      ...(row.alternate ? { alternate: row.v6 ? v6p2 : ip2p2 } : {}),
      software: 'p2pcat-stun',
    });
    const request = row.request();
    const queued = s.handleInput(request, from, primary);
    const t = s.pollTransmit();
    expect(s.pollTransmit()).toBeUndefined();
    if (row.expect === 'drop') {
      expect(queued).toBe(false);
      expect(t).toBeUndefined();
      return;
    }
    expect(t).toBeDefined();
    const m = decodeStunMessage(t!.data);
    expect(m.class).toBe(row.expect.class);
    if (m.class === 'error') expect(t!.data.length).toBeLessThanOrEqual(request.length);
    if (row.expect.code !== undefined) expect(m.get('ERROR_CODE')?.code).toBe(row.expect.code);
    for (const a of row.expect.has ?? []) expect(m.has(a as 'FINGERPRINT'), a).toBe(true);
    for (const a of row.expect.lacks ?? []) expect(m.has(a as 'FINGERPRINT'), a).toBe(false);
    row.expect.check?.(m, t!.data, request, t!.destination);
  });
});

describe('per-source rate limit (UDP)', () => {
  const limit = { rate: 10, burst: 5, maxSources: 100 };

  test('a flood from one source gets `burst` answers, then `rate` per second', () => {
    const s = new StunBindingServer({ primary: ip1p1, rateLimit: limit });
    let answered = 0;
    for (let i = 0; i < 50; i++)
      if (s.handleInput(binding().build(), { ...client, port: 1000 + i }, ip1p1, 'udp', 0)) answered++;
    expect(answered).toBe(5);
    expect(s.stats.rateLimited).toBe(45);
    // One second later: 10 more tokens, capped at the burst of 5.
    answered = 0;
    for (let i = 0; i < 50; i++) if (s.handleInput(binding().build(), client, ip1p1, 'udp', 1000)) answered++;
    expect(answered).toBe(5);
    // 300 ms later: 3 tokens.
    answered = 0;
    for (let i = 0; i < 50; i++) if (s.handleInput(binding().build(), client, ip1p1, 'udp', 1300)) answered++;
    expect(answered).toBe(3);
  });

  test('other sources are not affected; TCP is not limited', () => {
    const s = new StunBindingServer({ primary: ip1p1, rateLimit: limit });
    for (let i = 0; i < 20; i++) s.handleInput(binding().build(), client, ip1p1, 'udp', 0);
    expect(s.handleInput(binding().build(), { ...client, address: '198.51.100.8' }, ip1p1, 'udp', 0)).toBe(
      true,
    );
    expect(s.handleInput(binding().build(), client, ip1p1, 'tcp', 0)).toBe(true);
  });

  test('error answers count against the bucket too', () => {
    const s = new StunBindingServer({ primary: ip1p1, rateLimit: limit });
    let answered = 0;
    for (let i = 0; i < 20; i++) if (s.handleInput(unknowns(8), client, ip1p1, 'udp', 0)) answered++;
    expect(answered).toBe(5);
  });
});
