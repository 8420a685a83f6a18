import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { UserError } from './exit-codes.js';
import { decodeToken, encodeToken, type TokenCandidate } from './token.js';

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
