// The encrypted record layer. Each record on the wire:
//   length u32 (bytes of ciphertext + 16-byte tag) | ChaCha20-Poly1305(type u8 | payload) | tag
// The nonce is the record counter (4 zero bytes, then u64 big-endian), separate per direction,
// so a record dropped, replayed, reordered or altered fails authentication.
//
// This runs for every 64 KiB of a transfer in both directions: a record is built in one buffer
// (one copy of the ciphertext), and records are opened where they lie in the received chunk;
// only a record split across chunks is gathered into a buffer of its own. Every large buffer
// made here is garbage a moment later, and the collector's time grows with their number.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ExitCode, UserError } from './exit-codes.js';

export const MAX_RECORD_PAYLOAD = 64 * 1024;
const TAG = 16;
const HEADER = 4;
const EMPTY = Buffer.alloc(0);
/** The type byte as a one-byte plaintext, one buffer per value instead of one per record. */
const TYPE_BYTES = Array.from({ length: 256 }, (_, i) => Buffer.of(i));

export class IntegrityError extends UserError {
  constructor() {
    super(
      'integrity check failed: the data was altered in transit; nothing was kept',
      ExitCode.IntegrityFailure,
    );
    this.name = 'IntegrityError';
  }
}

/** Nonce of record `counter`: 4 zero bytes, then the counter as u64 big-endian. */
function writeNonce(nonce: Buffer, counter: number): Buffer {
  // A Number counts exactly to 2^53 records (2^69 bytes of 64 KiB records): more than enough.
  nonce.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 4);
  nonce.writeUInt32BE(counter >>> 0, 8);
  return nonce;
}

/** Bytes of the largest record on the wire. */
export const MAX_SEALED_RECORD = HEADER + 1 + MAX_RECORD_PAYLOAD + TAG;
/** Record buffers kept for reuse: as many as are usually in the stream's write buffer at once. */
const SPARE_RECORDS = 6;

export class RecordSealer {
  private counter = 0;
  /** createCipheriv copies the nonce, so one buffer serves every record. */
  private readonly nonce = Buffer.alloc(12);
  /** Released record memory (each MAX_SEALED_RECORD bytes), reused instead of a new allocation. */
  private readonly spare: ArrayBuffer[] = [];
  constructor(private readonly key: Uint8Array) {}

  /**
   * Seals one record. With `reuse`, the record is built in memory that `release(record)` hands
   * back once the caller is done with it (the stream took its bytes): a transfer then makes no
   * record-sized garbage on this side but the cipher's own output.
   */
  seal(type: number, payload: Uint8Array = EMPTY, reuse = false): Buffer {
    const n = payload.length;
    if (n > MAX_RECORD_PAYLOAD) throw new Error('record payload too large');
    const length = 1 + n + TAG;
    const out = reuse
      ? Buffer.from(this.spare.pop() ?? new ArrayBuffer(MAX_SEALED_RECORD), 0, HEADER + length)
      : Buffer.allocUnsafe(HEADER + length);
    out.writeUInt32BE(length, 0);
    const cipher = createCipheriv('chacha20-poly1305', this.key, writeNonce(this.nonce, this.counter++), {
      authTagLength: TAG,
    });
    cipher.setAAD(out.subarray(0, HEADER), { plaintextLength: 1 + n });
    // A stream cipher: update() returns exactly as many bytes as it was given.
    out[HEADER] = cipher.update(TYPE_BYTES[type & 0xff] as Buffer)[0] as number;
    if (n > 0) cipher.update(payload).copy(out, HEADER + 1);
    cipher.final();
    cipher.getAuthTag().copy(out, HEADER + 1 + n);
    return out;
  }

  /** Gives back the memory of a record sealed with `reuse`, once nothing reads it any more. */
  release(record: Buffer): void {
    const ab = record.buffer;
    if (ab instanceof ArrayBuffer && ab.byteLength === MAX_SEALED_RECORD && this.spare.length < SPARE_RECORDS)
      if (!this.spare.includes(ab)) this.spare.push(ab);
  }
}

export interface Record {
  type: number;
  payload: Buffer;
}

/** Accumulates stream bytes and returns whole, authenticated records. Throws IntegrityError. */
export class RecordOpener {
  private counter = 0;
  private readonly nonce = Buffer.alloc(12);
  /** The first bytes of a record whose length field is not complete yet. */
  private readonly head = Buffer.alloc(HEADER);
  private headFill = 0;
  /** A record split across chunks (header included), and how much of it arrived. */
  private partial: Buffer | undefined;
  private partialFill = 0;
  constructor(private readonly key: Uint8Array) {}

  push(chunk: Uint8Array): Record[] {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: Record[] = [];
    let off = 0;
    while (off < buf.length) {
      if (this.partial !== undefined) {
        const take = Math.min(this.partial.length - this.partialFill, buf.length - off);
        buf.copy(this.partial, this.partialFill, off, off + take);
        this.partialFill += take;
        off += take;
        if (this.partialFill < this.partial.length) break;
        const whole = this.partial;
        this.partial = undefined;
        this.partialFill = 0;
        out.push(this.open(whole, 0, whole.length - HEADER));
        continue;
      }
      if (this.headFill > 0 || buf.length - off < HEADER) {
        const take = Math.min(HEADER - this.headFill, buf.length - off);
        buf.copy(this.head, this.headFill, off, off + take);
        this.headFill += take;
        off += take;
        if (this.headFill < HEADER) break;
        const length = checkedLength(this.head.readUInt32BE(0));
        this.partial = Buffer.allocUnsafe(HEADER + length);
        this.head.copy(this.partial, 0);
        this.partialFill = HEADER;
        this.headFill = 0;
        continue;
      }
      const length = checkedLength(buf.readUInt32BE(off));
      if (buf.length - off >= HEADER + length) {
        out.push(this.open(buf, off, length));
        off += HEADER + length;
      } else {
        this.partial = Buffer.allocUnsafe(HEADER + length);
        buf.copy(this.partial, 0, off);
        this.partialFill = buf.length - off;
        off = buf.length;
      }
    }
    return out;
  }

  /** bytes of an unfinished record still waiting: non-zero at the end of a stream means truncation */
  get buffered(): number {
    return this.headFill + this.partialFill;
  }

  /** Authenticates and decrypts the record at `off` (header included) of `length` bytes after its header. */
  private open(buf: Buffer, off: number, length: number): Record {
    const header = buf.subarray(off, off + HEADER);
    const body = buf.subarray(off + HEADER, off + HEADER + length - TAG);
    const tag = buf.subarray(off + HEADER + length - TAG, off + HEADER + length);
    const decipher = createDecipheriv('chacha20-poly1305', this.key, writeNonce(this.nonce, this.counter++), {
      authTagLength: TAG,
    });
    decipher.setAAD(header, { plaintextLength: body.length });
    decipher.setAuthTag(tag);
    let plain: Buffer;
    try {
      plain = decipher.update(body);
      // final() checks the tag (nothing is returned before it did) and yields no further bytes.
      const rest = decipher.final();
      if (rest.length > 0) plain = Buffer.concat([plain, rest]);
    } catch {
      throw new IntegrityError();
    }
    return { type: plain[0] as number, payload: plain.subarray(1) };
  }
}

function checkedLength(length: number): number {
  if (length < 1 + TAG || length > MAX_RECORD_PAYLOAD + 1 + TAG) throw new IntegrityError();
  return length;
}
