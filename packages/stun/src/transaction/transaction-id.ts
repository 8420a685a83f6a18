// Transaction ids are handled as lower-case hex strings of the 12-byte id (RFC 8489 §5).
import { bytesToHex } from '../codec/bytes.js';

/** Hex transaction id of an encoded STUN message: its header bytes 8..20. */
export function transactionIdOf(message: Uint8Array): string {
  if (message.length < 20) throw new RangeError('not a STUN message: shorter than the 20-byte header');
  return bytesToHex(message.subarray(8, 20));
}
