import { readU16 } from '../bytes.js';
import { AttributeType } from '../constants.js';
import { type AttributeCodec, expectLength } from './codec.js';

/** RFC 5780 §7.2: 32 bits, A (change IP) = 0x4 and B (change port) = 0x2. */
export const CHANGE_REQUEST: AttributeCodec<{ changeIp: boolean; changePort: boolean }> = {
  type: AttributeType.CHANGE_REQUEST,
  write(w, v) {
    w.u32((v.changeIp ? 0x4 : 0) | (v.changePort ? 0x2 : 0));
  },
  read(b, o, n) {
    expectLength('CHANGE-REQUEST', n, 4);
    const last = b[o + 3] as number;
    return { changeIp: (last & 0x4) !== 0, changePort: (last & 0x2) !== 0 };
  },
};

/** RFC 5780 §7.5: 16-bit port then 16 bits of padding. */
export const RESPONSE_PORT: AttributeCodec<number> = {
  type: AttributeType.RESPONSE_PORT,
  write(w, v) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`RESPONSE-PORT ${v} is not a port`);
    w.u16(v);
    w.u16(0);
  },
  read(b, o, n) {
    expectLength('RESPONSE-PORT', n, 4);
    return readU16(b, o);
  },
};

/** RFC 5780 §7.6: arbitrary padding bytes. */
export const PADDING: AttributeCodec<Uint8Array> = {
  type: AttributeType.PADDING,
  write(w, v) {
    w.bytes(v);
  },
  read(b, o, n) {
    return b.slice(o, o + n);
  },
};
