import { StunDecodeError } from '../errors.js';
import type { ByteWriter } from '../writer.js';

/** Typed encoder/decoder of one attribute's value (the unpadded value bytes). */
export interface AttributeCodec<T> {
  readonly type: number;
  write(w: ByteWriter, value: T, transactionId: Uint8Array): void;
  /** Reads the value at b[offset, offset + length); throws only StunDecodeError. */
  read(b: Uint8Array, offset: number, length: number, transactionId: Uint8Array): T;
}

export function expectLength(name: string, length: number, expected: number): void {
  if (length !== expected) {
    throw new StunDecodeError(
      'bad-attribute-length',
      `${name}: value is ${length} bytes, expected ${expected}`,
    );
  }
}

// ignoreBOM keeps a leading U+FEFF as part of the value instead of stripping it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 decoding of b[o, o + n); malformed text is a StunDecodeError. */
export function readUtf8(b: Uint8Array, o: number, n: number, name: string): string {
  if (n <= 64) {
    let s = '';
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = b[o + i] as number;
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      s += String.fromCharCode(c);
    }
    if (ascii) return s;
  }
  try {
    return utf8.decode(b.subarray(o, o + n));
  } catch {
    throw new StunDecodeError('bad-attribute-value', `${name}: value is not valid UTF-8`);
  }
}
