import { readU16 } from '../bytes.js';
import { AttributeType } from '../constants.js';
import { StunDecodeError } from '../errors.js';
import type { ByteWriter } from '../writer.js';
import { type AttributeCodec, expectLength } from './codec.js';

/** One entry of PASSWORD-ALGORITHMS, or the value of PASSWORD-ALGORITHM. */
export interface PasswordAlgorithmValue {
  /** The algorithm number (see `PasswordAlgorithm`). */
  algorithm: number;
  /** The algorithm's parameters. */
  parameters: Uint8Array;
}

/** RFC 8489 §18.5: password algorithm numbers. */
export const PasswordAlgorithm = {
  /** MD5 of the long-term credential string (the RFC 5389 key). */
  MD5: 0x0001,
  /** SHA-256 of the long-term credential string. */
  SHA256: 0x0002,
} as const;

/** RFC 8489 §14.4: USERHASH is a 32-byte SHA-256 value. */
export const USERHASH: AttributeCodec<Uint8Array> = {
  type: AttributeType.USERHASH,
  write(w, v) {
    if (v.length !== 32) throw new RangeError(`USERHASH must be 32 bytes, got ${v.length}`);
    w.bytes(v);
  },
  read(b, o, n) {
    expectLength('USERHASH', n, 32);
    return b.slice(o, o + n);
  },
};

function writeAlgorithm(w: ByteWriter, v: PasswordAlgorithmValue): void {
  if (!Number.isInteger(v.algorithm) || v.algorithm < 0 || v.algorithm > 0xffff) {
    throw new RangeError(`password algorithm ${v.algorithm} is not a 16-bit number`);
  }
  w.u16(v.algorithm);
  w.u16(v.parameters.length);
  w.bytes(v.parameters);
  // RFC 8489 §14.11: parameters are padded to a multiple of 4 within the list.
  const pad = (4 - (v.parameters.length & 3)) & 3;
  for (let i = 0; i < pad; i++) w.u8(0);
}

/** Reads one algorithm entry at o (bounded by end); returns it and the next offset. */
function readAlgorithm(
  b: Uint8Array,
  o: number,
  end: number,
  name: string,
): [PasswordAlgorithmValue, number] {
  if (o + 4 > end) throw new StunDecodeError('bad-attribute-length', `${name}: truncated algorithm entry`);
  const algorithm = readU16(b, o);
  const plen = readU16(b, o + 2);
  if (o + 4 + plen > end)
    throw new StunDecodeError('bad-attribute-length', `${name}: parameters run past the value`);
  const parameters = b.slice(o + 4, o + 4 + plen);
  return [{ algorithm, parameters }, o + 4 + ((plen + 3) & ~3)];
}

/** RFC 8489 §14.11: list of (algorithm, parameters length, parameters padded to 4). */
export const PASSWORD_ALGORITHMS: AttributeCodec<PasswordAlgorithmValue[]> = {
  type: AttributeType.PASSWORD_ALGORITHMS,
  write(w, v) {
    for (const a of v) writeAlgorithm(w, a);
  },
  read(b, o, n) {
    const end = o + n;
    const out: PasswordAlgorithmValue[] = [];
    let p = o;
    // Each step advances p by at least 4, so the loop is bounded by n / 4.
    while (p < end) {
      const [a, next] = readAlgorithm(b, p, end, 'PASSWORD-ALGORITHMS');
      out.push(a);
      p = next;
    }
    return out;
  },
};

/** RFC 8489 §14.12: one (algorithm, parameters length, parameters). */
export const PASSWORD_ALGORITHM: AttributeCodec<PasswordAlgorithmValue> = {
  type: AttributeType.PASSWORD_ALGORITHM,
  write(w, v) {
    writeAlgorithm(w, v);
  },
  read(b, o, n) {
    const [a, next] = readAlgorithm(b, o, o + n, 'PASSWORD-ALGORITHM');
    if (next < o + n) throw new StunDecodeError('bad-attribute-length', 'PASSWORD-ALGORITHM: trailing bytes');
    return a;
  },
};
