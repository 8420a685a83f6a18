import type { AddressFamily } from '../address.js';
import { readU16, readU32 } from '../bytes.js';
import { AttributeType } from '../constants.js';
import { StunDecodeError } from '../errors.js';
import { type AttributeCodec, expectLength } from './codec.js';
import { familyByte, readFamily } from './error-code.js';
import { flag } from './ice.js';

/** RFC 8656 §18.1: channel number (16 bits) then 16 RFFU bits. Valid channels: 0x4000..0x4FFF (§12). */
export const CHANNEL_NUMBER: AttributeCodec<number> = {
  type: AttributeType.CHANNEL_NUMBER,
  write(w, v) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff)
      throw new RangeError(`CHANNEL-NUMBER ${v} is not 16-bit`);
    w.u16(v);
    w.u16(0);
  },
  read(b, o, n) {
    expectLength('CHANNEL-NUMBER', n, 4);
    return readU16(b, o);
  },
};

/** RFC 8656 §18.4: the application data, any length. */
export const DATA: AttributeCodec<Uint8Array> = {
  type: AttributeType.DATA,
  write(w, v) {
    w.bytes(v);
  },
  read(b, o, n) {
    return b.subarray(o, o + n);
  },
};

function family(type: number, name: string): AttributeCodec<AddressFamily> {
  return {
    type,
    write(w, v) {
      w.u8(familyByte(v));
      w.u8(0);
      w.u16(0);
    },
    read(b, o, n) {
      expectLength(name, n, 4);
      return readFamily(b[o] as number, name);
    },
  };
}

/** RFC 8656 §18.6: family byte then 24 RFFU bits. */
export const REQUESTED_ADDRESS_FAMILY = family(
  AttributeType.REQUESTED_ADDRESS_FAMILY,
  'REQUESTED-ADDRESS-FAMILY',
);
/** RFC 8656 §18.11: same layout as REQUESTED-ADDRESS-FAMILY. */
export const ADDITIONAL_ADDRESS_FAMILY = family(
  AttributeType.ADDITIONAL_ADDRESS_FAMILY,
  'ADDITIONAL-ADDRESS-FAMILY',
);

/** RFC 8656 §18.7: one byte, R bit is the most significant bit. */
export const EVEN_PORT: AttributeCodec<{ reserve: boolean }> = {
  type: AttributeType.EVEN_PORT,
  write(w, v) {
    w.u8(v.reserve ? 0x80 : 0);
  },
  read(b, o, n) {
    expectLength('EVEN-PORT', n, 1);
    return { reserve: ((b[o] as number) & 0x80) !== 0 };
  },
};

/** RFC 8656 §18.8: protocol number (17 = UDP) then 24 RFFU bits. */
export const REQUESTED_TRANSPORT: AttributeCodec<number> = {
  type: AttributeType.REQUESTED_TRANSPORT,
  write(w, v) {
    if (!Number.isInteger(v) || v < 0 || v > 255)
      throw new RangeError(`REQUESTED-TRANSPORT ${v} is not a protocol number`);
    w.u8(v);
    w.u8(0);
    w.u16(0);
  },
  read(b, o, n) {
    expectLength('REQUESTED-TRANSPORT', n, 4);
    return b[o] as number;
  },
};

/** RFC 8656 §18.9: no value. */
export const DONT_FRAGMENT = flag(AttributeType.DONT_FRAGMENT, 'DONT-FRAGMENT');

/** RFC 8656 §18.10: an 8-byte token. */
export const RESERVATION_TOKEN: AttributeCodec<Uint8Array> = {
  type: AttributeType.RESERVATION_TOKEN,
  write(w, v) {
    if (v.length !== 8) throw new RangeError(`RESERVATION-TOKEN must be 8 bytes, got ${v.length}`);
    w.bytes(v);
  },
  read(b, o, n) {
    expectLength('RESERVATION-TOKEN', n, 8);
    return b.slice(o, o + 8);
  },
};

/**
 * RFC 8656 §18.13 (Figure 11): 16 reserved bits, ICMP type (7 bits), ICMP code (9 bits), then
 * 32 bits of error data.
 */
export const ICMP: AttributeCodec<{ type: number; code: number; data: number }> = {
  type: AttributeType.ICMP,
  write(w, v) {
    if (
      !Number.isInteger(v.type) ||
      v.type < 0 ||
      v.type > 127 ||
      !Number.isInteger(v.code) ||
      v.code < 0 ||
      v.code > 511
    ) {
      throw new RangeError('ICMP type must be an integer 0..127 and code 0..511');
    }
    if (!Number.isInteger(v.data) || v.data < 0 || v.data > 0xffffffff)
      throw new RangeError('ICMP data must be 32-bit');
    w.u16(0);
    w.u16((v.type << 9) | v.code);
    w.u32(v.data);
  },
  read(b, o, n) {
    if (n !== 8) throw new StunDecodeError('bad-attribute-length', `ICMP: value is ${n} bytes, expected 8`);
    const tc = readU16(b, o + 2);
    return { type: tc >> 9, code: tc & 0x1ff, data: readU32(b, o + 4) };
  },
};
