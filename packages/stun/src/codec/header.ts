import { HEADER_LENGTH, MAGIC_COOKIE, type MessageClass } from './constants.js';

const CLASS_BITS: Record<MessageClass, number> = {
  request: 0x0000,
  indication: 0x0010,
  success: 0x0100,
  error: 0x0110,
};
const CLASSES: readonly MessageClass[] = ['request', 'indication', 'success', 'error'];

/**
 * RFC 8489 §5: the 14-bit message type interleaves the 12-bit method (M11..M0) with the
 * two class bits C1 (bit 8) and C0 (bit 4).
 */
export function encodeMessageType(cls: MessageClass, method: number): number {
  if (!Number.isInteger(method) || method < 0 || method > 0xfff) {
    throw new RangeError(`STUN method ${method} is out of range: use an integer 0..0xfff`);
  }
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | CLASS_BITS[cls];
}

export function decodeMessageClass(type: number): MessageClass {
  return CLASSES[((type >> 7) & 0x2) | ((type >> 4) & 0x1)] as MessageClass;
}

export function decodeMessageMethod(type: number): number {
  return (type & 0x000f) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0f80);
}

/**
 * Cheap test (RFC 8489 §5, RFC 7983): first two bits zero, magic cookie, length field equal to
 * the bytes after the header and a multiple of 4.
 */
export function isStunMessage(bytes: Uint8Array): boolean {
  const n = bytes.length;
  if (n < HEADER_LENGTH || (n & 3) !== 0) return false;
  if ((bytes[0] as number) & 0xc0) return false;
  if (((bytes[2] as number) << 8) + (bytes[3] as number) !== n - HEADER_LENGTH) return false;
  return (
    bytes[4] === MAGIC_COOKIE >>> 24 &&
    bytes[5] === ((MAGIC_COOKIE >>> 16) & 0xff) &&
    bytes[6] === ((MAGIC_COOKIE >>> 8) & 0xff) &&
    bytes[7] === (MAGIC_COOKIE & 0xff)
  );
}
