import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ipv6ToText, type TransportAddress } from './address.js';
import { ATTRIBUTE_CODECS } from './attributes/registry.js';
import type { AttributeName, AttributeValues } from './attributes/values.js';
import { StunMessageBuilder } from './builder.js';
import { decodeChannelData } from './channel-data.js';
import { AttributeType, MAGIC_COOKIE } from './constants.js';
import { demultiplex } from './demultiplex.js';
import { StunDecodeError } from './errors.js';
import { isStunMessage } from './header.js';
import { verifyFingerprint, verifyMessageIntegrity } from './integrity.js';
import { decodeStunMessage } from './message.js';

// Case counts: 30k + 30k + 30k + 6k + 35 attributes x 250 ≈ 105k cases per run.
const RANDOM_RUNS = 30_000;
const FRAMED_RUNS = 30_000;
const MUTATED_RUNS = 30_000;
const CHANNEL_RUNS = 6_000;
const ROUND_TRIP_RUNS = 250;

const NAMES = Object.keys(ATTRIBUTE_CODECS) as AttributeName[];
const KEY = new Uint8Array(16).fill(7);

/** Decodes and reads everything; any exception other than StunDecodeError fails the property. */
function exercise(bytes: Uint8Array): void {
  expect(typeof isStunMessage(bytes)).toBe('boolean');
  expect(['stun', 'channel-data', 'application']).toContain(demultiplex(bytes));
  let m: ReturnType<typeof decodeStunMessage>;
  try {
    m = decodeStunMessage(bytes);
  } catch (e) {
    if (!(e instanceof StunDecodeError)) throw e;
    return;
  }
  void m.attributes.length;
  verifyMessageIntegrity(m, KEY);
  verifyFingerprint(m);
  for (const name of NAMES) {
    try {
      m.has(name);
      m.get(name);
      m.getAll(name);
    } catch (e) {
      if (!(e instanceof StunDecodeError)) throw e;
    }
  }
}

/** Bytes with a valid STUN header (cookie, consistent length) and arbitrary attribute bytes. */
const framed = fc
  .tuple(
    fc.integer({ min: 0, max: 0x3fff }),
    fc.uint8Array({ minLength: 12, maxLength: 12 }),
    fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...Object.values(AttributeType)), fc.integer({ min: 0, max: 0xffff })),
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: -2, max: 2 }),
      ),
      { maxLength: 8 },
    ),
  )
  .map(([type, tid, attrs]) => {
    const parts: number[] = [];
    for (const [t, v, skew] of attrs) {
      const len = Math.max(0, Math.min(0xffff, v.length + skew));
      parts.push(t >> 8, t & 0xff, len >> 8, len & 0xff, ...v);
      while (parts.length % 4) parts.push(0);
    }
    const out = new Uint8Array(20 + parts.length);
    out[0] = type >> 8;
    out[1] = type & 0xff;
    out[2] = parts.length >> 8;
    out[3] = parts.length & 0xff;
    out[4] = MAGIC_COOKIE >>> 24;
    out[5] = (MAGIC_COOKIE >>> 16) & 0xff;
    out[6] = (MAGIC_COOKIE >>> 8) & 0xff;
    out[7] = MAGIC_COOKIE & 0xff;
    out.set(tid, 8);
    out.set(parts, 20);
    return out;
  });

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ipv6ToText(b, 0));
const transportAddress: fc.Arbitrary<TransportAddress> = fc.oneof(
  fc.record({ family: fc.constant('IPv4' as const), address: ipv4, port: fc.nat(0xffff) }),
  fc.record({ family: fc.constant('IPv6' as const), address: ipv6, port: fc.nat(0xffff) }),
);
const family = fc.constantFrom('IPv4' as const, 'IPv6' as const);
const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
const reason = fc.string({ unit: 'binary', maxLength: 60 });
const code = fc.integer({ min: 300, max: 699 });
const u32 = fc.nat(0xffffffff);
const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
const algorithm = fc.record({ algorithm: fc.nat(0xffff), parameters: bytes(12) });

const VALUES: { [K in AttributeName]: fc.Arbitrary<AttributeValues[K]> } = {
  MAPPED_ADDRESS: transportAddress,
  XOR_MAPPED_ADDRESS: transportAddress,
  USERNAME: text(120),
  USERHASH: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  REALM: text(127),
  NONCE: text(127),
  SOFTWARE: text(127),
  ERROR_CODE: fc.record({ code, reason }),
  PASSWORD_ALGORITHMS: fc.array(algorithm, { maxLength: 4 }),
  PASSWORD_ALGORITHM: algorithm,
  UNKNOWN_ATTRIBUTES: fc.array(fc.nat(0xffff), { maxLength: 10 }),
  ALTERNATE_SERVER: transportAddress,
  ALTERNATE_DOMAIN: text(60),
  PRIORITY: u32,
  USE_CANDIDATE: fc.constant(true as const),
  ICE_CONTROLLED: u64,
  ICE_CONTROLLING: u64,
  CHANNEL_NUMBER: fc.integer({ min: 0x4000, max: 0x4fff }),
  LIFETIME: u32,
  XOR_PEER_ADDRESS: transportAddress,
  DATA: bytes(200),
  XOR_RELAYED_ADDRESS: transportAddress,
  REQUESTED_ADDRESS_FAMILY: family,
  EVEN_PORT: fc.record({ reserve: fc.boolean() }),
  REQUESTED_TRANSPORT: fc.nat(255),
  DONT_FRAGMENT: fc.constant(true as const),
  RESERVATION_TOKEN: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  ADDITIONAL_ADDRESS_FAMILY: family,
  ADDRESS_ERROR_CODE: fc.record({ family, code, reason }),
  ICMP: fc.record({ type: fc.nat(127), code: fc.nat(511), data: u32 }),
  CHANGE_REQUEST: fc.record({ changeIp: fc.boolean(), changePort: fc.boolean() }),
  RESPONSE_ORIGIN: transportAddress,
  OTHER_ADDRESS: transportAddress,
  RESPONSE_PORT: fc.nat(0xffff),
  PADDING: bytes(64),
};

/** A valid message with a few random typed attributes, integrity and fingerprint. */
const validMessage = fc
  .tuple(
    fc.constantFrom('request' as const, 'indication' as const, 'success' as const, 'error' as const),
    fc.nat(0xfff),
    fc.uint8Array({ minLength: 12, maxLength: 12 }),
    fc.array(
      fc.constantFrom(...NAMES).chain((name) => VALUES[name].map((value) => [name, value] as const)),
      { maxLength: 5 },
    ),
    fc.constantFrom(undefined, 'sha1' as const, 'sha256' as const, 'both' as const),
    fc.boolean(),
  )
  .map(([cls, method, tid, attrs, integrity, fingerprint]) => {
    const b = new StunMessageBuilder(cls, method, tid);
    for (const [name, value] of attrs) b.add(name, value as never);
    return b.build(integrity ? { integrityKey: KEY, integrity, fingerprint } : { fingerprint });
  });

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('length' as const), at: fc.nat(), value: fc.nat(0xffff) }),
  fc.record({ kind: fc.constant('append' as const), extra: bytes(12) }),
);

function mutate(
  msg: Uint8Array,
  muts: { kind: string; at?: number; value?: number; extra?: Uint8Array }[],
): Uint8Array {
  let out = msg.slice();
  for (const m of muts) {
    const at = (m.at ?? 0) % out.length;
    if (m.kind === 'flip') out[at] = m.value ?? 0;
    else if (m.kind === 'truncate') out = out.slice(0, at);
    else if (m.kind === 'length') {
      // Overwrite a 16-bit field (typically a length) at a 2-byte aligned offset.
      const p = at & ~1;
      if (p + 1 < out.length) {
        out[p] = (m.value ?? 0) >> 8;
        out[p + 1] = (m.value ?? 0) & 0xff;
      }
    } else if (m.extra) {
      const grown = new Uint8Array(out.length + m.extra.length);
      grown.set(out);
      grown.set(m.extra, out.length);
      out = grown;
    }
    if (out.length === 0) break;
  }
  return out;
}

describe('hostile input gives only StunDecodeError', () => {
  test('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => exercise(b)),
      { numRuns: RANDOM_RUNS },
    );
  });

  test('valid header with arbitrary attribute framing', () => {
    fc.assert(
      fc.property(framed, (b) => exercise(b)),
      { numRuns: FRAMED_RUNS },
    );
  });

  test('mutated valid messages', () => {
    fc.assert(
      fc.property(validMessage, fc.array(mutation, { minLength: 1, maxLength: 3 }), (msg, muts) => {
        exercise(mutate(msg, muts));
      }),
      { numRuns: MUTATED_RUNS },
    );
  });

  test('ChannelData decoding of random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        try {
          const d = decodeChannelData(b);
          expect(d.data.length).toBeLessThanOrEqual(b.length - 4);
        } catch (e) {
          if (!(e instanceof StunDecodeError)) throw e;
        }
      }),
      { numRuns: CHANNEL_RUNS },
    );
  });
});

describe('round trips', () => {
  test.each(NAMES)('%s encodes and decodes to the same value', (name) => {
    fc.assert(
      fc.property(VALUES[name], fc.uint8Array({ minLength: 12, maxLength: 12 }), (value, tid) => {
        const raw = new StunMessageBuilder('indication', 0x001, tid)
          .add(name, value as never)
          .build({ fingerprint: true });
        const m = decodeStunMessage(raw);
        expect(m.get(name)).toEqual(value);
        expect(m.getAll(name)).toEqual([value]);
        expect(verifyFingerprint(m)).toBe(true);
        expect(m.unknownComprehensionRequired).toEqual([]);
      }),
      { numRuns: ROUND_TRIP_RUNS },
    );
  });

  test('whole messages with integrity verify and re-decode identically', () => {
    fc.assert(
      fc.property(validMessage, (raw) => {
        const m = decodeStunMessage(raw);
        expect(isStunMessage(raw)).toBe(true);
        // RFC 7983: only first bytes 0..3 are STUN (methods up to 0x0ff).
        expect(demultiplex(raw)).toBe((raw[0] as number) < 4 ? 'stun' : 'application');
        if (m.has('MESSAGE_INTEGRITY') || m.has('MESSAGE_INTEGRITY_SHA256')) {
          expect(verifyMessageIntegrity(m, KEY)).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
