import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { AttributeName } from './attributes/values.js';
import { StunMessageBuilder } from './builder.js';
import { bytesToHex, hexToBytes, readU32 } from './bytes.js';
import { longTermKey, saslPrep, shortTermKey } from './credentials.js';
import { verifyFingerprint, verifyMessageIntegrity } from './integrity.js';
import { decodeStunMessage } from './message.js';

interface VectorAttribute {
  name: AttributeName;
  type: number;
  value: unknown;
  paddingByte?: number;
}
interface Vector {
  source: string;
  hex: string;
  credentials:
    | { mechanism: 'short-term'; password: string }
    | {
        mechanism: 'long-term';
        username: string;
        realm: string;
        password: string;
        passwordSaslprep: string;
        key: string;
      };
  expected: {
    class: string;
    method: number;
    isClassic: boolean;
    transactionId: string;
    attributes: VectorAttribute[];
    messageIntegrity: string;
    fingerprint: number | null;
  };
}

const dir = new URL('../../../../test-vectors/rfc5769/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

/** Vector JSON values → typed attribute values (tie-breakers are hex strings there). */
function typed(a: VectorAttribute): unknown {
  if (a.name === 'ICE_CONTROLLED' || a.name === 'ICE_CONTROLLING') return BigInt(a.value as string);
  return a.value;
}

function keyOf(v: Vector): Uint8Array {
  const c = v.credentials;
  if (c.mechanism === 'short-term') return shortTermKey(c.password);
  return longTermKey(c.username, c.realm, c.password, 'MD5', { prepare: 'saslprep' });
}

test('all four RFC 5769 vectors are present', () => {
  expect(files.sort()).toEqual([
    'ipv4-response.json',
    'ipv6-response.json',
    'long-term-request.json',
    'sample-request.json',
  ]);
});

describe.each(files)('RFC 5769 vector %s', (file) => {
  const v = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Vector;
  const bytes = hexToBytes(v.hex);

  test('decodes header and every attribute', () => {
    const m = decodeStunMessage(bytes);
    expect(m.class).toBe(v.expected.class);
    expect(m.method).toBe(v.expected.method);
    expect(m.isClassic).toBe(v.expected.isClassic);
    expect(bytesToHex(m.transactionId)).toBe(v.expected.transactionId);
    expect(m.unknownComprehensionRequired).toEqual([]);
    for (const a of v.expected.attributes) {
      expect(m.get(a.name)).toEqual(typed(a));
      expect(m.has(a.name)).toBe(true);
    }
    const expectedTypes = v.expected.attributes.map((a) => a.type);
    expectedTypes.push(0x0008);
    if (v.expected.fingerprint !== null) expectedTypes.push(0x8028);
    expect(m.attributes.map((a) => a.type)).toEqual(expectedTypes);
    const mi = m.attributes.find((a) => a.type === 0x0008);
    expect(mi && bytesToHex(mi.value)).toBe(v.expected.messageIntegrity);
    expect(m.has('MESSAGE_INTEGRITY')).toBe(true);
    expect(m.has('MESSAGE_INTEGRITY_SHA256')).toBe(false);
    expect(m.has('FINGERPRINT')).toBe(v.expected.fingerprint !== null);
    expect(m.raw).toBe(bytes);
  });

  test('MESSAGE-INTEGRITY and FINGERPRINT verify', () => {
    const m = decodeStunMessage(bytes);
    expect(verifyMessageIntegrity(m, keyOf(v))).toBe(true);
    expect(verifyMessageIntegrity(m, shortTermKey('wrong password'))).toBe(false);
    if (v.expected.fingerprint === null) {
      expect(verifyFingerprint(m)).toBe(false);
    } else {
      expect(verifyFingerprint(m)).toBe(true);
      const fp = m.attributes.find((a) => a.type === 0x8028);
      expect(fp && readU32(fp.value, 0)).toBe(v.expected.fingerprint);
    }
  });

  test('a flipped bit fails integrity and fingerprint', () => {
    const copy = bytes.slice();
    copy[24] = (copy[24] as number) ^ 1; // inside the first attribute's value
    const m = decodeStunMessage(copy);
    expect(verifyMessageIntegrity(m, keyOf(v))).toBe(false);
    expect(verifyFingerprint(m)).toBe(false);
  });

  test('re-encodes byte for byte', () => {
    const b = new StunMessageBuilder(
      v.expected.class as 'request',
      v.expected.method,
      hexToBytes(v.expected.transactionId),
    );
    for (const a of v.expected.attributes) {
      b.add(a.name, typed(a) as never, { paddingByte: a.paddingByte ?? 0 });
    }
    const out = b.build({ integrityKey: keyOf(v), fingerprint: v.expected.fingerprint !== null });
    expect(bytesToHex(out)).toBe(v.hex);
  });

  if (v.credentials.mechanism === 'long-term') {
    const c = v.credentials;
    test('SASLprep of the password and the long-term key', () => {
      expect(saslPrep(c.password)).toBe(c.passwordSaslprep);
      expect(bytesToHex(longTermKey(c.username, c.realm, c.password, 'MD5', { prepare: 'saslprep' }))).toBe(
        c.key,
      );
      // The prepared password is unchanged by OpaqueString, so the RFC 8489 default agrees.
      expect(bytesToHex(longTermKey(c.username, c.realm, c.passwordSaslprep))).toBe(c.key);
    });
  }
});
