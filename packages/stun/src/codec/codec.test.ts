import { describe, expect, test } from 'vitest';
import { StunMessageBuilder } from './builder.js';
import { bytesToHex } from './bytes.js';
import { decodeChannelData, encodeChannelData } from './channel-data.js';
import { AttributeType, StunMethod } from './constants.js';
import { longTermKey, opaqueString, PrecisError, shortTermKey, userhash } from './credentials.js';
import { demultiplex } from './demultiplex.js';
import { StunDecodeError } from './errors.js';
import { decodeMessageClass, decodeMessageMethod, encodeMessageType, isStunMessage } from './header.js';
import { verifyFingerprint, verifyMessageIntegrity } from './integrity.js';
import { decodeStunMessage } from './message.js';
import { encodeNonceCookie, parseNonceCookie } from './nonce.js';
import { randomTransactionId } from './random.js';

const KEY = shortTermKey('secret');

function decodeError(bytes: Uint8Array): StunDecodeError {
  try {
    decodeStunMessage(bytes);
  } catch (e) {
    if (e instanceof StunDecodeError) return e;
    throw e;
  }
  throw new Error('decoded without error');
}

describe('header', () => {
  test('message type interleaves class and method bits (RFC 8489 §5)', () => {
    expect(encodeMessageType('request', StunMethod.Binding)).toBe(0x0001);
    expect(encodeMessageType('indication', StunMethod.Binding)).toBe(0x0011);
    expect(encodeMessageType('success', StunMethod.Binding)).toBe(0x0101);
    expect(encodeMessageType('error', StunMethod.Binding)).toBe(0x0111);
    expect(encodeMessageType('request', StunMethod.Allocate)).toBe(0x0003);
    expect(encodeMessageType('indication', StunMethod.Send)).toBe(0x0016);
    expect(encodeMessageType('indication', StunMethod.Data)).toBe(0x0017);
    expect(encodeMessageType('error', StunMethod.ChannelBind)).toBe(0x0119);
    for (const cls of ['request', 'indication', 'success', 'error'] as const) {
      for (const method of [0, 1, 0x0f, 0x10, 0x7f, 0x80, 0xabc, 0xfff]) {
        const t = encodeMessageType(cls, method);
        expect(decodeMessageClass(t)).toBe(cls);
        expect(decodeMessageMethod(t)).toBe(method);
      }
    }
    expect(() => encodeMessageType('request', 0x1000)).toThrow(RangeError);
  });

  test('isStunMessage needs zero top bits, cookie, consistent length', () => {
    const raw = new StunMessageBuilder('request', StunMethod.Binding).build();
    expect(isStunMessage(raw)).toBe(true);
    expect(isStunMessage(raw.subarray(0, 19))).toBe(false);
    const bad = raw.slice();
    bad[0] = 0x40;
    expect(isStunMessage(bad)).toBe(false);
    const noCookie = raw.slice();
    noCookie[4] = 0;
    expect(isStunMessage(noCookie)).toBe(false);
    const withExtra = new Uint8Array(24);
    withExtra.set(raw);
    expect(isStunMessage(withExtra)).toBe(false);
  });

  test('classic RFC 3489 messages decode as classic', () => {
    const raw = new StunMessageBuilder('request', StunMethod.Binding).build();
    raw.set([1, 2, 3, 4], 4);
    const m = decodeStunMessage(raw);
    expect(m.isClassic).toBe(true);
    expect(isStunMessage(raw)).toBe(false);
  });

  test('decode errors carry a code', () => {
    expect(decodeError(new Uint8Array(10)).code).toBe('too-short');
    const raw = new StunMessageBuilder('request', StunMethod.Binding).add('PRIORITY', 1).build();
    const notStun = raw.slice();
    notStun[0] = 0x80;
    expect(decodeError(notStun).code).toBe('not-stun');
    expect(decodeError(raw.subarray(0, raw.length - 4)).code).toBe('bad-length');
    const badAttr = raw.slice();
    badAttr[23] = 9; // PRIORITY length 9 runs past the end
    expect(decodeError(badAttr).code).toBe('truncated-attribute');
    const wrongLen = new StunMessageBuilder('request', 1)
      .addRaw(AttributeType.PRIORITY, new Uint8Array(3))
      .build();
    const m = decodeStunMessage(wrongLen);
    expect(() => m.get('PRIORITY')).toThrow(StunDecodeError);
    try {
      m.get('PRIORITY');
    } catch (e) {
      expect((e as StunDecodeError).code).toBe('bad-attribute-length');
    }
  });
});

describe('attributes', () => {
  test('unknown comprehension-required attributes are reported, optional ones ignored', () => {
    const raw = new StunMessageBuilder('request', 1)
      .addRaw(0x7777, new Uint8Array([1]))
      .addRaw(0xc001, new Uint8Array(4))
      .addRaw(0x7777, new Uint8Array(0))
      .add('USERNAME', 'a:b')
      .build();
    const m = decodeStunMessage(raw);
    expect(m.unknownComprehensionRequired).toEqual([0x7777]);
    expect(m.attributes.map((a) => a.type)).toEqual([0x7777, 0xc001, 0x7777, AttributeType.USERNAME]);
    expect(m.get('USERNAME')).toBe('a:b');
  });

  test('attributes after MESSAGE-INTEGRITY are ignored except FINGERPRINT (RFC 8489 §14.5)', () => {
    const signed = new StunMessageBuilder('request', 1).add('USERNAME', 'u:v').build({ integrityKey: KEY });
    // Append PRIORITY and an unknown comprehension-required attribute after MI, then FINGERPRINT.
    const extra = new StunMessageBuilder('request', 1, signed.subarray(8, 20))
      .addRaw(AttributeType.USERNAME, new TextEncoder().encode('u:v'))
      .addRaw(AttributeType.MESSAGE_INTEGRITY, signed.subarray(signed.length - 20))
      .add('PRIORITY', 5)
      .addRaw(0x7001, new Uint8Array(4))
      .build({ fingerprint: true });
    const m = decodeStunMessage(extra);
    expect(m.get('PRIORITY')).toBeUndefined();
    expect(m.has('PRIORITY')).toBe(false);
    expect(m.unknownComprehensionRequired).toEqual([]);
    expect(m.has('MESSAGE_INTEGRITY')).toBe(true);
    expect(m.has('FINGERPRINT')).toBe(true);
    expect(verifyFingerprint(m)).toBe(true);
    expect(m.attributes).toHaveLength(5);
  });

  test('XOR-MAPPED-ADDRESS canonical text forms', () => {
    const raw = new StunMessageBuilder('success', 1)
      .add('XOR_MAPPED_ADDRESS', {
        family: 'IPv6',
        address: '2001:0db8:0000:0000:0000:0000:0000:0001',
        port: 1,
      })
      .add('MAPPED_ADDRESS', { family: 'IPv4', address: '10.0.0.1', port: 65535 })
      .build();
    const m = decodeStunMessage(raw);
    expect(m.get('XOR_MAPPED_ADDRESS')).toEqual({ family: 'IPv6', address: '2001:db8::1', port: 1 });
    expect(m.get('MAPPED_ADDRESS')).toEqual({ family: 'IPv4', address: '10.0.0.1', port: 65535 });
    expect(() =>
      new StunMessageBuilder('success', 1).add('MAPPED_ADDRESS', {
        family: 'IPv4',
        address: '1.2.3',
        port: 1,
      }),
    ).toThrow(RangeError);
    expect(() =>
      new StunMessageBuilder('success', 1).add('MAPPED_ADDRESS', {
        family: 'IPv6',
        address: 'zz::1',
        port: 1,
      }),
    ).toThrow(RangeError);
  });

  test('ERROR-CODE layout (RFC 8489 §14.8)', () => {
    const raw = new StunMessageBuilder('error', 1)
      .add('ERROR_CODE', { code: 420, reason: 'Unknown Attribute' })
      .build();
    expect(bytesToHex(raw.subarray(20, 28))).toBe('0009001500000414');
    expect(decodeStunMessage(raw).get('ERROR_CODE')).toEqual({ code: 420, reason: 'Unknown Attribute' });
    expect(() => new StunMessageBuilder('error', 1).add('ERROR_CODE', { code: 200, reason: '' })).toThrow(
      RangeError,
    );
  });

  test('oversized text attributes are rejected', () => {
    expect(() => new StunMessageBuilder('request', 1).add('USERNAME', 'x'.repeat(513))).toThrow(RangeError);
    const raw = new StunMessageBuilder('request', 1)
      .addRaw(AttributeType.USERNAME, new Uint8Array(600).fill(65))
      .build();
    expect(() => decodeStunMessage(raw).get('USERNAME')).toThrow(StunDecodeError);
    const badUtf8 = new StunMessageBuilder('request', 1)
      .addRaw(AttributeType.SOFTWARE, new Uint8Array([0xff, 0xfe]))
      .build();
    expect(() => decodeStunMessage(badUtf8).get('SOFTWARE')).toThrow(StunDecodeError);
  });
});

describe('integrity', () => {
  test.each(['sha1', 'sha256', 'both'] as const)('MESSAGE-INTEGRITY %s builds and verifies', (integrity) => {
    const raw = new StunMessageBuilder('request', 1)
      .add('USERNAME', 'a:b')
      .build({ integrityKey: KEY, integrity, fingerprint: true });
    const m = decodeStunMessage(raw);
    expect(m.has('MESSAGE_INTEGRITY')).toBe(integrity !== 'sha256');
    expect(m.has('MESSAGE_INTEGRITY_SHA256')).toBe(integrity !== 'sha1');
    expect(verifyMessageIntegrity(m, KEY)).toBe(true);
    expect(verifyMessageIntegrity(m, shortTermKey('other'))).toBe(false);
    expect(verifyFingerprint(m)).toBe(true);
    expect(m.get('USERNAME')).toBe('a:b');
  });

  test('no integrity attribute: verify is false', () => {
    const m = decodeStunMessage(new StunMessageBuilder('request', 1).build());
    expect(verifyMessageIntegrity(m, KEY)).toBe(false);
    expect(verifyFingerprint(m)).toBe(false);
  });

  test('a key array reused with new contents is re-keyed', () => {
    const key = shortTermKey('one');
    const raw1 = new StunMessageBuilder('request', 1).build({ integrityKey: key });
    key.set(shortTermKey('two'));
    const raw2 = new StunMessageBuilder('request', 1).build({ integrityKey: key });
    expect(verifyMessageIntegrity(decodeStunMessage(raw1), shortTermKey('one'))).toBe(true);
    expect(verifyMessageIntegrity(decodeStunMessage(raw2), shortTermKey('two'))).toBe(true);
  });
});

describe('credentials', () => {
  test('OpaqueString maps non-ASCII spaces and applies NFC (RFC 8265 §4.2)', () => {
    expect(opaqueString('a\u00a0b\u3000c')).toBe('a b c');
    expect(opaqueString('e\u0301')).toBe('\u00e9');
  });

  test('OpaqueString refuses what RFC 8265 / RFC 8264 FreeformClass disallows, naming the character', () => {
    expect(() => opaqueString('')).toThrow(/empty/);
    expect(() => longTermKey('user', 'realm', 'pa\tss')).toThrow(/password holds U\+0009/);
    expect(() => longTermKey('user', 'bad\u0000realm', 'pass')).toThrow(/realm holds U\+0000/);
    expect(() => opaqueString('x\u0085')).toThrow(PrecisError); // C1 control
    expect(() => opaqueString('x\ud800')).toThrow(PrecisError); // lone surrogate
    expect(() => opaqueString('x\ufdd0')).toThrow(PrecisError); // noncharacter
    expect(() => opaqueString('\u1100')).toThrow(PrecisError); // conjoining jamo alone
    expect(opaqueString('\u1100\u1161')).toBe('\uac00'); // composed by NFC into a syllable: fine
    expect(opaqueString('correct horse battery staple')).toBe('correct horse battery staple');
    expect(opaqueString('p\u00e4ssw\u00f6rd\u{1f511}')).toBe('p\u00e4ssw\u00f6rd\u{1f511}');
    expect(bytesToHex(shortTermKey('e\u0301'))).toBe('c3a9');
  });

  test('long-term key is MD5 or SHA-256 of username:realm:password (RFC 8489 §9.2.2)', () => {
    expect(bytesToHex(longTermKey('user', 'realm', 'pass'))).toBe('8493fbc53ba582fb4c044c456bdc40eb');
    expect(longTermKey('user', 'realm', 'pass', 'SHA-256')).toHaveLength(32);
    expect(userhash('user', 'realm')).toHaveLength(32);
  });

  test('nonce cookie security features (RFC 8489 §9.2)', () => {
    const n = encodeNonceCookie({ passwordAlgorithms: true, usernameAnonymity: false }, 'abc');
    expect(n).toBe('obMatJos2gAAAabc');
    expect(parseNonceCookie(n)).toEqual({ passwordAlgorithms: true, usernameAnonymity: false, rest: 'abc' });
    expect(
      parseNonceCookie(encodeNonceCookie({ passwordAlgorithms: true, usernameAnonymity: true }, '')),
    ).toEqual({
      passwordAlgorithms: true,
      usernameAnonymity: true,
      rest: '',
    });
    expect(parseNonceCookie('plain')).toBeUndefined();
  });

  test('transaction ids are 12 random bytes', () => {
    const a = randomTransactionId();
    const b = randomTransactionId();
    expect(a).toHaveLength(12);
    expect(bytesToHex(a)).not.toBe(bytesToHex(b));
  });
});

describe('ChannelData and demultiplexing', () => {
  test('ChannelData round trip with and without padding', () => {
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    const plain = encodeChannelData(0x4001, data);
    expect(bytesToHex(plain)).toBe('400100050102030405');
    const padded = encodeChannelData(0x4001, data, { pad: true });
    expect(padded).toHaveLength(12);
    expect(decodeChannelData(plain)).toEqual({ channel: 0x4001, data });
    expect(decodeChannelData(padded)).toEqual({ channel: 0x4001, data });
    expect(() => encodeChannelData(0x3fff, data)).toThrow(RangeError);
    expect(() => decodeChannelData(plain.subarray(0, 6))).toThrow(StunDecodeError);
    expect(() => decodeChannelData(new Uint8Array([0x50, 0, 0, 0]))).toThrow(StunDecodeError);
  });

  test('demultiplex by first byte, cookie and length (RFC 7983)', () => {
    const stun = new StunMessageBuilder('request', 1).build({ fingerprint: true });
    expect(demultiplex(stun)).toBe('stun');
    expect(demultiplex(encodeChannelData(0x4000, new Uint8Array(3)))).toBe('channel-data');
    expect(demultiplex(encodeChannelData(0x4fff, new Uint8Array(3), { pad: true }))).toBe('channel-data');
    // libnice pseudo-TCP segment: 32-bit conversation id 0, so the first byte is 0 but it is not STUN.
    const pseudoTcp = new Uint8Array(24);
    pseudoTcp.set([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x10, 0]);
    expect(demultiplex(pseudoTcp)).toBe('application');
    expect(demultiplex(new Uint8Array([0x16, 0xfe, 0xfd]))).toBe('application');
    expect(demultiplex(new Uint8Array([0x40, 0, 0, 10, 1]))).toBe('application');
    expect(demultiplex(new Uint8Array(0))).toBe('application');
  });
});

describe('TURN attribute layouts', () => {
  test('ICMP: 7-bit type and 9-bit code after 16 reserved bits (RFC 8656 §18.13)', () => {
    const raw = new StunMessageBuilder('indication', StunMethod.Data)
      .add('ICMP', { type: 3, code: 4, data: 1400 })
      .build();
    expect(bytesToHex(raw.subarray(20, 32))).toBe('800400080000060400000578');
    expect(decodeStunMessage(raw).get('ICMP')).toEqual({ type: 3, code: 4, data: 1400 });
  });

  test('REQUESTED-TRANSPORT, EVEN-PORT, CHANNEL-NUMBER, LIFETIME bytes', () => {
    const raw = new StunMessageBuilder('request', StunMethod.Allocate)
      .add('REQUESTED_TRANSPORT', 17)
      .add('EVEN_PORT', { reserve: true })
      .add('CHANNEL_NUMBER', 0x4001)
      .add('LIFETIME', 600)
      .add('DONT_FRAGMENT', true)
      .build();
    expect(bytesToHex(raw.subarray(20))).toBe(
      '0019000411000000' + '0018000180000000' + '000c000440010000' + '000d000400000258' + '001a0000',
    );
  });
});

test('an IPv6 zone id is dropped when encoding (it is not on the wire)', () => {
  const zoned = new StunMessageBuilder('success', 1)
    .add('XOR_MAPPED_ADDRESS', { family: 'IPv6', address: 'fe80::1%eth0', port: 9 })
    .build();
  expect(decodeStunMessage(zoned).get('XOR_MAPPED_ADDRESS')).toEqual({
    family: 'IPv6',
    address: 'fe80::1',
    port: 9,
  });
});

test('text values keep a leading U+FEFF and non-ASCII characters', () => {
  const value = '\ufeffé\u{1f600}'.repeat(30);
  const raw = new StunMessageBuilder('request', 1).add('SOFTWARE', value).build();
  expect(decodeStunMessage(raw).get('SOFTWARE')).toBe(value);
});
