import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encodeBase32 } from './base32.js';
import { UserError } from './exit-codes.js';
import { decodeToken, encodeToken, MAX_CANDIDATES, type TokenCandidate } from './token.js';

const now = Date.UTC(2026, 10, 22, 12, 0, 0);
const candidates: TokenCandidate[] = [
  { type: 'host', address: '192.168.1.20', port: 50123, priority: 2130706431, foundation: 'h1' },
  { type: 'srflx', address: '203.0.113.7', port: 61000, priority: 1694498815, foundation: 's1' },
  { type: 'relay', address: '198.51.100.9', port: 49152, priority: 16777215, foundation: 'r1' },
];

function sample(kind: 'invite' | 'answer' = 'invite', cands = candidates) {
  return encodeToken({
    kind,
    expiresAt: Math.floor(now / 1000) + 1800,
    ufragBytes: new Uint8Array([1, 2, 3]),
    pwdBytes: new Uint8Array(15).fill(7),
    publicKey: new Uint8Array(32).fill(9),
    ...(kind === 'invite' ? { commitment: new Uint8Array(16).fill(5) } : {}),
    candidates: cands,
  });
}

describe('token', () => {
  test('round trip, and short: host + srflx + relay fit in 250 characters', () => {
    const { text } = sample();
    expect(text.length).toBeLessThanOrEqual(250);
    const t = decodeToken(text, now);
    expect(t.kind).toBe('invite');
    expect(t.ufrag.length).toBeGreaterThanOrEqual(4);
    expect(t.pwd.length).toBeGreaterThanOrEqual(22);
    expect(t.publicKey).toEqual(new Uint8Array(32).fill(9));
    expect(t.candidates.map((c) => [c.type, c.address, c.port, c.priority])).toEqual(
      candidates.map((c) => [c.type, c.address, c.port, c.priority]),
    );
    expect(new Set(t.candidates.map((c) => c.foundation)).size).toBe(3);
  });

  test('hard-NAT extension: carried when given, absent (and the token unchanged) otherwise', () => {
    const plain = sample();
    expect(decodeToken(plain.text, now).hardNat).toBeUndefined();
    for (const hardNat of [
      { mapping: 'open' as const },
      { mapping: 'random' as const },
      { mapping: 'sequential' as const, step: 2, lastPort: 20004 },
    ]) {
      const { text, raw } = encodeToken({
        kind: 'answer',
        expiresAt: Math.floor(now / 1000) + 1800,
        ufragBytes: new Uint8Array([1, 2, 3]),
        pwdBytes: new Uint8Array(15).fill(7),
        publicKey: new Uint8Array(32).fill(9),
        candidates,
        hardNat,
      });
      expect(decodeToken(text, now).hardNat).toEqual(hardNat);
      expect(text.length).toBeLessThanOrEqual(250);
      // a bad extension (unknown mapping) is a damaged token, never a crash
      const bad = raw.slice(0, raw.length - 4);
      bad[bad.length - 4] = 9;
      const sum = createHash('sha256').update('p2pcat2').update(bad).digest().subarray(0, 4);
      const forged = `p2pcat2${encodeBase32(new Uint8Array([...bad, ...sum]))}`;
      expect(() => decodeToken(forged, now)).toThrow(/damaged/);
    }
  });

  test('IPv6 candidates', () => {
    const c6: TokenCandidate[] = [
      { type: 'host', address: '2001:db8::1', port: 4000, priority: 2130706431, foundation: 'a' },
    ];
    const t = decodeToken(sample('answer', c6).text, now);
    expect(t.kind).toBe('answer');
    expect(t.candidates[0]?.address).toBe('2001:db8::1');
  });

  test('what chat clients do to a line is ignored: spaces, breaks, quotes, case', () => {
    const { text } = sample();
    const mangled = `"${text.slice(0, 40)}\n ${text.slice(40, 90).toLowerCase()} \r\n${text.slice(90)}" `;
    expect(decodeToken(mangled, now).candidates).toHaveLength(3);
  });

  test('truncated or mistyped tokens are caught by the checksum', () => {
    const { text } = sample();
    expect(() => decodeToken(text.slice(0, -3), now)).toThrow(/damaged or incomplete/);
    const flipped = text.slice(0, 30) + (text[30] === 'A' ? 'B' : 'A') + text.slice(31);
    expect(() => decodeToken(flipped, now)).toThrow(/damaged or incomplete/);
  });

  test('expired tokens are refused with the age', () => {
    const { text } = sample();
    expect(() => decodeToken(text, now + 45 * 60_000)).toThrow(/expired 15 minutes ago/);
  });

  test('not a token at all', () => {
    expect(() => decodeToken('hello world', now)).toThrow(/not a p2pcat token/);
    expect(() => decodeToken('p2pcat9ABCDEF', now)).toThrow(/another p2pcat version/);
  });

  test('an invite carries the commitment, an answer none; tokens of version 1 are refused by name', () => {
    expect(decodeToken(sample().text, now).commitment).toEqual(new Uint8Array(16).fill(5));
    expect(decodeToken(sample('answer').text, now).commitment).toBeUndefined();
    const v1 =
      'p2pcat10406P4JYEE56MNA2JHY55X1TR0B8DSX2A44AND1CEBC44S83BZMTM3SGHM1RA6SH191Q86J3KSZTBTVWKA3MYD8778200ZQZYZZQY00006DG433YZZZZY0000000000000000000000000DM4W87XZZ7ZZ0000G2H9CHRZQZXZZZT0000000000000000000000058HATBV2THG';
    expect(() => decodeToken(v1, now)).toThrow(/from another p2pcat version \("p2pcat1"\)/);
  });

  test('the token length budget: three IPv4 candidates 183 characters, plus two IPv6 ones still under 250', () => {
    expect(sample().text.length).toBe(183);
    const v6: TokenCandidate[] = [
      { type: 'host', address: '2001:db8::1', port: 4000, priority: 2130706000, foundation: 'h6' },
      { type: 'srflx', address: '2001:db8::2', port: 4001, priority: 1694498000, foundation: 's6' },
    ];
    expect(sample('invite', [...candidates, ...v6.slice(0, 1)]).text.length).toBeLessThanOrEqual(250);
  });

  test('unusable candidates are refused when read (exit 2), loopback only with allowLoopback', () => {
    const bad: [string, number, RegExp][] = [
      ['192.0.2.1', 0, /port 0/],
      ['0.0.0.0', 4000, /unspecified/],
      ['::', 4000, /unspecified/],
      ['224.0.0.251', 5353, /multicast/],
      ['ff02::1', 4000, /multicast/],
      ['255.255.255.255', 4000, /broadcast/],
      ['127.0.0.1', 4000, /loopback/],
      ['::1', 4000, /loopback/],
      ['::ffff:0.0.0.0', 4000, /unspecified/],
    ];
    for (const [address, port, why] of bad) {
      const { text } = sample('answer', [{ type: 'host', address, port, priority: 1, foundation: 'x' }]);
      let err: unknown;
      try {
        decodeToken(text, now);
      } catch (e) {
        err = e;
      }
      expect(err, address).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(2);
      expect((err as UserError).message).toMatch(why);
      expect((err as UserError).message).toMatch(/unusable candidate .*: ask for a new one$/);
    }
    const lo = sample('answer', [
      { type: 'host', address: '127.0.0.1', port: 4000, priority: 1, foundation: 'x' },
    ]);
    expect(decodeToken(lo.text, now, { allowLoopback: true }).candidates[0]?.address).toBe('127.0.0.1');
  });

  test(`at most ${MAX_CANDIDATES} candidates: the encoder keeps the most preferred, the decoder refuses more`, () => {
    const many: TokenCandidate[] = Array.from({ length: 20 }, (_, i) => ({
      type: 'host',
      address: `192.0.2.${i + 1}`,
      port: 4000 + i,
      priority: 1000 + i,
      foundation: `f${i}`,
    }));
    const t = decodeToken(sample('answer', many).text, now);
    expect(t.candidates).toHaveLength(MAX_CANDIDATES);
    expect(t.candidates[0]?.priority).toBe(1019);
    // a crafted token with 17 candidates (checksum made right)
    const raw = Buffer.from(sample('answer', many).raw);
    const body = Buffer.concat([raw.subarray(0, 56), Buffer.of(17), raw.subarray(57, raw.length - 4)]);
    const extra = Buffer.from([0, 0, 0, 0, 1, 192, 0, 2, 99, 0x10, 0x00]);
    const full = Buffer.concat([body, extra]);
    const sum = createHash('sha256').update('p2pcat2').update(full).digest().subarray(0, 4);
    const text = `p2pcat2${encodeBase32(Buffer.concat([full, sum]))}`;
    expect(() => decodeToken(text, now)).toThrow(/lists 17 candidates, more than the 16/);
  });

  test('a low-order public key (no shared secret) is refused', () => {
    const zero = encodeToken({
      kind: 'answer',
      expiresAt: Math.floor(now / 1000) + 600,
      ufragBytes: new Uint8Array(3),
      pwdBytes: new Uint8Array(15),
      publicKey: new Uint8Array(32),
      candidates,
    });
    expect(() => decodeToken(zero.text, now)).toThrow(/invalid public key/);
  });

  test('arbitrary input gives a UserError, never another exception', () => {
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ maxLength: 200 }), (s, bytes) => {
        for (const input of [s, `p2pcat1${s}`, `p2pcat1${Buffer.from(bytes).toString('base64')}`]) {
          try {
            decodeToken(input, now);
          } catch (e) {
            expect(e).toBeInstanceOf(UserError);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});
