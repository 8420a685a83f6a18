import { AttributeType } from '../constants.js';
import { StunDecodeError } from '../errors.js';
import { type AttributeCodec, readUtf8 } from './codec.js';

function text(type: number, name: string, maxBytes: number): AttributeCodec<string> {
  return {
    type,
    write(w, v) {
      const start = w.pos;
      w.utf8(v);
      if (w.pos - start > maxBytes) {
        throw new RangeError(`${name} is ${w.pos - start} bytes of UTF-8: at most ${maxBytes} are allowed`);
      }
    },
    read(b, o, n) {
      if (n > maxBytes) {
        throw new StunDecodeError(
          'bad-attribute-length',
          `${name}: ${n} bytes exceeds the limit of ${maxBytes}`,
        );
      }
      return readUtf8(b, o, n, name);
    },
  };
}

/** RFC 8489 §14.3: fewer than 513 bytes. */
export const USERNAME = text(AttributeType.USERNAME, 'USERNAME', 512);
/** RFC 8489 §14.9: fewer than 128 characters (at most 763 bytes). */
export const REALM = text(AttributeType.REALM, 'REALM', 763);
/** RFC 8489 §14.10: fewer than 128 characters (at most 763 bytes). */
export const NONCE = text(AttributeType.NONCE, 'NONCE', 763);
/** RFC 8489 §14.14: fewer than 128 characters (at most 763 bytes). */
export const SOFTWARE = text(AttributeType.SOFTWARE, 'SOFTWARE', 763);
/** RFC 8489 §14.16: a domain name of at most 255 bytes. */
export const ALTERNATE_DOMAIN = text(AttributeType.ALTERNATE_DOMAIN, 'ALTERNATE-DOMAIN', 255);
