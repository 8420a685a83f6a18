import { readU32 } from '../bytes.js';
import { AttributeType } from '../constants.js';
import { StunDecodeError } from '../errors.js';
import { type AttributeCodec, expectLength } from './codec.js';

function u32(type: number, name: string): AttributeCodec<number> {
  return {
    type,
    write(w, v) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
        throw new RangeError(`${name} ${v} is not a 32-bit unsigned integer`);
      w.u32(v);
    },
    read(b, o, n) {
      expectLength(name, n, 4);
      return readU32(b, o);
    },
  };
}

export function flag(type: number, name: string): AttributeCodec<true> {
  return {
    type,
    write(_w, v) {
      if (v !== true) throw new RangeError(`${name} takes the value true`);
    },
    read(_b, _o, n) {
      expectLength(name, n, 0);
      return true;
    },
  };
}

function tieBreaker(type: number, name: string): AttributeCodec<bigint> {
  return {
    type,
    write(w, v) {
      if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) {
        throw new RangeError(`${name} must be a 64-bit unsigned bigint`);
      }
      w.u32(Number(v >> 32n));
      w.u32(Number(v & 0xffffffffn));
    },
    read(b, o, n) {
      if (n !== 8)
        throw new StunDecodeError('bad-attribute-length', `${name}: value is ${n} bytes, expected 8`);
      return (BigInt(readU32(b, o)) << 32n) | BigInt(readU32(b, o + 4));
    },
  };
}

/** RFC 8445 §7.1.1 */
export const PRIORITY = u32(AttributeType.PRIORITY, 'PRIORITY');
/** RFC 8445 §7.1.2 */
export const USE_CANDIDATE = flag(AttributeType.USE_CANDIDATE, 'USE-CANDIDATE');
/** RFC 8445 §7.1.3 */
export const ICE_CONTROLLED = tieBreaker(AttributeType.ICE_CONTROLLED, 'ICE-CONTROLLED');
export const ICE_CONTROLLING = tieBreaker(AttributeType.ICE_CONTROLLING, 'ICE-CONTROLLING');
/** RFC 8656 §18.2 */
export const LIFETIME = u32(AttributeType.LIFETIME, 'LIFETIME');
