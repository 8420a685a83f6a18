/** Transaction ids are handled as lower-case hex strings of the 12-byte id (RFC 8489 §5). */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b];
  return out;
}

/** Hex transaction id of an encoded STUN message: its header bytes 8..20. */
export function transactionIdOf(message: Uint8Array): string {
  if (message.length < 20) throw new RangeError('not a STUN message: shorter than the 20-byte header');
  return toHex(message.subarray(8, 20));
}
