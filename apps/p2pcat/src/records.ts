// The encrypted record layer. Each record on the wire:
//   length u32 (bytes of ciphertext + 16-byte tag) | ChaCha20-Poly1305(type u8 | payload) | tag
// The nonce is the record counter (4 zero bytes, then u64 big-endian), separate per direction,
// so a record dropped, replayed, reordered or altered fails authentication.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ExitCode, UserError } from './exit-codes.js';

export const MAX_RECORD_PAYLOAD = 64 * 1024;
const TAG = 16;

export class IntegrityError extends UserError {
  constructor() {
    super(
      'integrity check failed: the data was altered in transit; nothing was kept',
      ExitCode.IntegrityFailure,
    );
    this.name = 'IntegrityError';
  }
}

function nonce(counter: bigint): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(counter, 4);
  return n;
}

export class RecordSealer {
  private counter = 0n;
  constructor(private readonly key: Uint8Array) {}

  seal(type: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
    if (payload.length > MAX_RECORD_PAYLOAD) throw new Error('record payload too large');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1 + payload.length + TAG);
    const cipher = createCipheriv('chacha20-poly1305', this.key, nonce(this.counter++), {
      authTagLength: TAG,
    });
    cipher.setAAD(header, { plaintextLength: 1 + payload.length });
    const body = Buffer.concat([cipher.update(Buffer.of(type)), cipher.update(payload), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]);
  }
}

export interface Record {
  type: number;
  payload: Buffer;
}

/** Accumulates stream bytes and returns whole, authenticated records. Throws IntegrityError. */
export class RecordOpener {
  private counter = 0n;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  constructor(private readonly key: Uint8Array) {}

  push(chunk: Uint8Array): Record[] {
    this.pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.pendingBytes += chunk.byteLength;
    const out: Record[] = [];
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (len < 1 + TAG || len > MAX_RECORD_PAYLOAD + 1 + TAG) throw new IntegrityError();
      if (buf.length - off < 4 + len) break;
      const header = buf.subarray(off, off + 4);
      const body = buf.subarray(off + 4, off + 4 + len - TAG);
      const tag = buf.subarray(off + 4 + len - TAG, off + 4 + len);
      const decipher = createDecipheriv('chacha20-poly1305', this.key, nonce(this.counter++), {
        authTagLength: TAG,
      });
      decipher.setAAD(header, { plaintextLength: body.length });
      decipher.setAuthTag(tag);
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        throw new IntegrityError();
      }
      out.push({ type: plain[0]!, payload: plain.subarray(1) });
      off += 4 + len;
    }
    buf = buf.subarray(off);
    this.pending = buf.length ? [buf] : [];
    this.pendingBytes = buf.length;
    return out;
  }

  /** bytes of an unfinished record still waiting: non-zero at the end of a stream means truncation */
  get buffered(): number {
    return this.pendingBytes;
  }
}
