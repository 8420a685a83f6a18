import { type AddressFamily, FAMILY_IPV4, FAMILY_IPV6 } from '../address.js';
import { readU16 } from '../bytes.js';
import { AttributeType } from '../constants.js';
import { StunDecodeError } from '../errors.js';
import type { ByteWriter } from '../writer.js';
import { type AttributeCodec, readUtf8 } from './codec.js';

const MAX_REASON_BYTES = 763;

function checkCode(code: number, name: string): void {
  // RFC 8489 §14.8: class 3..6, number 0..99.
  if (!Number.isInteger(code) || code < 300 || code > 699) {
    throw new RangeError(`${name} code ${code} is out of range: use 300..699`);
  }
}

function writeClassNumberReason(w: ByteWriter, code: number, reason: string, name: string): void {
  w.u8(Math.floor(code / 100));
  w.u8(code % 100);
  const start = w.pos;
  w.utf8(reason);
  if (w.pos - start > MAX_REASON_BYTES) throw new RangeError(`${name} reason phrase is too long`);
}

function readCode(b: Uint8Array, o: number, name: string): number {
  const cls = (b[o] as number) & 0x07;
  const number = b[o + 1] as number;
  if (cls < 3 || cls > 6 || number > 99) {
    throw new StunDecodeError('bad-attribute-value', `${name}: invalid class ${cls} / number ${number}`);
  }
  return cls * 100 + number;
}

/** RFC 8489 §14.8: 21 reserved bits, class (3 bits), number (8 bits), UTF-8 reason phrase. */
export const ERROR_CODE: AttributeCodec<{ code: number; reason: string }> = {
  type: AttributeType.ERROR_CODE,
  write(w, v) {
    checkCode(v.code, 'ERROR-CODE');
    w.u16(0);
    writeClassNumberReason(w, v.code, v.reason, 'ERROR-CODE');
  },
  read(b, o, n) {
    if (n < 4) throw new StunDecodeError('bad-attribute-length', 'ERROR-CODE: value shorter than 4 bytes');
    if (n - 4 > MAX_REASON_BYTES)
      throw new StunDecodeError('bad-attribute-length', 'ERROR-CODE: reason too long');
    return { code: readCode(b, o + 2, 'ERROR-CODE'), reason: readUtf8(b, o + 4, n - 4, 'ERROR-CODE') };
  },
};

/** RFC 8489 §14.13: a list of 16-bit attribute types. */
export const UNKNOWN_ATTRIBUTES: AttributeCodec<number[]> = {
  type: AttributeType.UNKNOWN_ATTRIBUTES,
  write(w, v) {
    for (const t of v) {
      if (!Number.isInteger(t) || t < 0 || t > 0xffff)
        throw new RangeError(`attribute type ${t} is not 16-bit`);
      w.u16(t);
    }
  },
  read(b, o, n) {
    if (n % 2 !== 0) throw new StunDecodeError('bad-attribute-length', 'UNKNOWN-ATTRIBUTES: odd length');
    const out: number[] = [];
    for (let i = 0; i < n; i += 2) out.push(readU16(b, o + i));
    return out;
  },
};

export function familyByte(f: AddressFamily): number {
  if (f === 'IPv4') return FAMILY_IPV4;
  if (f === 'IPv6') return FAMILY_IPV6;
  throw new RangeError(`address family "${String(f)}" is unknown: use 'IPv4' or 'IPv6'`);
}

export function readFamily(v: number, name: string): AddressFamily {
  if (v === FAMILY_IPV4) return 'IPv4';
  if (v === FAMILY_IPV6) return 'IPv6';
  throw new StunDecodeError('bad-attribute-value', `${name}: unknown address family ${v}`);
}

/** RFC 8656 §18.12: family (8 bits), reserved, class (3 bits), number (8 bits), reason phrase. */
export const ADDRESS_ERROR_CODE: AttributeCodec<{ family: AddressFamily; code: number; reason: string }> = {
  type: AttributeType.ADDRESS_ERROR_CODE,
  write(w, v) {
    checkCode(v.code, 'ADDRESS-ERROR-CODE');
    w.u8(familyByte(v.family));
    w.u8(0);
    writeClassNumberReason(w, v.code, v.reason, 'ADDRESS-ERROR-CODE');
  },
  read(b, o, n) {
    if (n < 4)
      throw new StunDecodeError('bad-attribute-length', 'ADDRESS-ERROR-CODE: value shorter than 4 bytes');
    if (n - 4 > MAX_REASON_BYTES) {
      throw new StunDecodeError('bad-attribute-length', 'ADDRESS-ERROR-CODE: reason too long');
    }
    return {
      family: readFamily(b[o] as number, 'ADDRESS-ERROR-CODE'),
      code: readCode(b, o + 2, 'ADDRESS-ERROR-CODE'),
      reason: readUtf8(b, o + 4, n - 4, 'ADDRESS-ERROR-CODE'),
    };
  },
};
