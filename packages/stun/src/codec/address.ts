import { Address4, Address6 } from 'ip-address';
import { readU16 } from './bytes.js';
import { MAGIC_COOKIE } from './constants.js';
import { StunDecodeError } from './errors.js';
import type { ByteWriter } from './writer.js';

/** An IP address family, as Node names it. */
export type AddressFamily = 'IPv4' | 'IPv6';

/** address: canonical text form ("192.0.2.1", "2001:db8::1"), as ip-address formats it. */
export interface TransportAddress {
  /** The address family. */
  family: AddressFamily;
  /** The IP address in canonical text form. */
  address: string;
  /** The port number, 0..65535. */
  port: number;
}

/** RFC 8489 §14.1: family 0x01 is IPv4, 0x02 is IPv6. */
export const FAMILY_IPV4 = 0x01;
export const FAMILY_IPV6 = 0x02;

const COOKIE_BYTES = [
  MAGIC_COOKIE >>> 24,
  (MAGIC_COOKIE >>> 16) & 0xff,
  (MAGIC_COOKIE >>> 8) & 0xff,
  MAGIC_COOKIE & 0xff,
];

function parseIpv4(text: string, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let digits = 0;
  let index = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 46 : text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || index > 3) return false;
      out[offset + index++] = part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return false; // no leading zeros
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return false;
    } else {
      return false;
    }
  }
  return index === 4;
}

/** Writes the 4 or 16 address bytes of `address` in `family` into `out` at `offset`. */
export function addressToBytes(
  family: AddressFamily,
  address: string,
  out: Uint8Array,
  offset: number,
): void {
  if (family === 'IPv4') {
    if (!parseIpv4(address, out, offset)) {
      throw new RangeError(`"${address}" is not an IPv4 address: use dotted-quad text such as 192.0.2.1`);
    }
    return;
  }
  // A zone id ("fe80::1%eth0", as Node reports link-local peers) is local: not on the wire.
  const zone = address.indexOf('%');
  const text = zone >= 0 ? address.slice(0, zone) : address;
  if (family !== 'IPv6' || !Address6.isValid(text) || text.includes('/')) {
    throw new RangeError(`"${address}" is not an ${family} address: use text such as 2001:db8::1`);
  }
  const bytes = new Address6(text).toUnsignedByteArray();
  // toUnsignedByteArray drops leading zero bytes; right-align into 16 bytes.
  out.fill(0, offset, offset + 16);
  for (let i = 0; i < bytes.length; i++) out[offset + 16 - bytes.length + i] = bytes[i] as number;
}

export function ipv4ToText(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

export function ipv6ToText(b: Uint8Array, o: number): string {
  const arr = new Array<number>(16);
  for (let i = 0; i < 16; i++) arr[i] = b[o + i] as number;
  return Address6.fromUnsignedByteArray(arr).correctForm();
}

/** Canonical text form of an address string (e.g. for comparisons). */
export function canonicalAddress(family: AddressFamily, address: string): string {
  if (family === 'IPv4') return new Address4(address).correctForm();
  const b = new Uint8Array(16);
  addressToBytes('IPv6', address, b, 0);
  return ipv6ToText(b, 0);
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new RangeError(`port ${port} is out of range: use an integer 0..65535`);
  }
}

/**
 * RFC 8489 §14.1 (MAPPED-ADDRESS) and §14.2 (XOR-MAPPED-ADDRESS): 0, family, port, address.
 * With `tid`, the port is XORed with the cookie's top 16 bits and the address with the cookie
 * (IPv4) or the cookie followed by the transaction id (IPv6).
 */
export function writeAddress(w: ByteWriter, value: TransportAddress, tid: Uint8Array | undefined): void {
  checkPort(value.port);
  const len = value.family === 'IPv6' ? 16 : 4;
  w.ensure(4 + len);
  const b = w.buf;
  const p = w.pos;
  b[p] = 0;
  b[p + 1] = value.family === 'IPv6' ? FAMILY_IPV6 : FAMILY_IPV4;
  const port = tid ? value.port ^ (MAGIC_COOKIE >>> 16) : value.port;
  b[p + 2] = port >>> 8;
  b[p + 3] = port;
  addressToBytes(value.family, value.address, b, p + 4);
  if (tid) {
    for (let i = 0; i < len; i++) {
      b[p + 4 + i] =
        (b[p + 4 + i] as number) ^ (i < 4 ? (COOKIE_BYTES[i] as number) : (tid[i - 4] as number));
    }
  }
  w.pos = p + 4 + len;
}

export function readAddress(
  b: Uint8Array,
  o: number,
  length: number,
  tid: Uint8Array | undefined,
  name: string,
): TransportAddress {
  if (length < 4) throw new StunDecodeError('bad-attribute-length', `${name}: ${length} bytes is too short`);
  const familyByte = b[o + 1];
  let port = readU16(b, o + 2);
  if (tid) port ^= MAGIC_COOKIE >>> 16;
  if (familyByte === FAMILY_IPV4) {
    if (length !== 8)
      throw new StunDecodeError('bad-attribute-length', `${name}: IPv4 value must be 8 bytes`);
    if (!tid) return { family: 'IPv4', address: ipv4ToText(b, o + 4), port };
    const a = (b[o + 4] as number) ^ (COOKIE_BYTES[0] as number);
    const c = (b[o + 5] as number) ^ (COOKIE_BYTES[1] as number);
    const d = (b[o + 6] as number) ^ (COOKIE_BYTES[2] as number);
    const e = (b[o + 7] as number) ^ (COOKIE_BYTES[3] as number);
    return { family: 'IPv4', address: `${a}.${c}.${d}.${e}`, port };
  }
  if (familyByte === FAMILY_IPV6) {
    if (length !== 20)
      throw new StunDecodeError('bad-attribute-length', `${name}: IPv6 value must be 20 bytes`);
    const x = new Uint8Array(16);
    for (let i = 0; i < 16; i++) {
      const mask = tid ? (i < 4 ? (COOKIE_BYTES[i] as number) : (tid[i - 4] as number)) : 0;
      x[i] = (b[o + 4 + i] as number) ^ mask;
    }
    return { family: 'IPv6', address: ipv6ToText(x, 0), port };
  }
  throw new StunDecodeError('bad-attribute-value', `${name}: unknown address family ${familyByte}`);
}
