import { ATTRIBUTE_CODECS } from './attributes/registry.js';
import type { AttributeName, AttributeValues } from './attributes/values.js';
import { writeU16, writeU32 } from './bytes.js';
import { AttributeType, HEADER_LENGTH, MAGIC_COOKIE, type MessageClass } from './constants.js';
import { encodeMessageType } from './header.js';
import { fingerprintValue, integrityHmac } from './integrity.js';
import { randomTransactionId } from './random.js';
import { ByteWriter } from './writer.js';

/** Options of `StunMessageBuilder.add`. */
export interface AddOptions {
  /** Byte value used for the attribute's padding (default 0; RFC 8489 §14 lets senders choose). */
  paddingByte?: number;
}

/**
 * Options of `StunMessageBuilder.build`: the integrity and fingerprint attributes appended last.
 */
export interface BuildOptions {
  /** Key for MESSAGE-INTEGRITY(-SHA256): shortTermKey() or longTermKey(). */
  integrityKey?: Uint8Array;
  /** Which integrity attribute(s) to append; default 'sha1'. 'both' appends MESSAGE-INTEGRITY then -SHA256. */
  integrity?: 'sha1' | 'sha256' | 'both';
  /** Append FINGERPRINT (RFC 8489 §14.7) last. */
  fingerprint?: boolean;
}

/** Builds one STUN message: header, attributes in the order added, then integrity and fingerprint. */
export class StunMessageBuilder {
  /** The 12-byte transaction id in the header: the one given, or a random one. */
  readonly transactionId: Uint8Array;
  private readonly w: ByteWriter;

  constructor(cls: MessageClass, method: number, transactionId?: Uint8Array) {
    if (transactionId !== undefined && transactionId.length !== 12) {
      throw new RangeError(`transaction id must be 12 bytes, got ${transactionId.length}`);
    }
    this.transactionId = transactionId ?? randomTransactionId();
    const w = new ByteWriter(128);
    w.u16(encodeMessageType(cls, method));
    w.u16(0);
    w.u32(MAGIC_COOKIE);
    w.bytes(this.transactionId);
    this.w = w;
  }

  /** Appends a typed attribute. */
  add<K extends AttributeName>(name: K, value: AttributeValues[K], options?: AddOptions): this {
    const codec = ATTRIBUTE_CODECS[name];
    if (codec === undefined) throw new RangeError(`unknown attribute name "${String(name)}"`);
    const w = this.w;
    const start = w.pos;
    w.u16(codec.type);
    w.u16(0);
    codec.write(w, value, this.transactionId);
    this.finishAttribute(start, options?.paddingByte ?? 0);
    return this;
  }

  /** Appends an attribute with raw value bytes (for unknown or deliberately malformed attributes). */
  addRaw(type: number, value: Uint8Array, options?: AddOptions): this {
    if (!Number.isInteger(type) || type < 0 || type > 0xffff)
      throw new RangeError(`attribute type ${type} is not 16-bit`);
    const w = this.w;
    const start = w.pos;
    w.u16(type);
    w.u16(0);
    w.bytes(value);
    this.finishAttribute(start, options?.paddingByte ?? 0);
    return this;
  }

  private finishAttribute(start: number, paddingByte: number): void {
    const w = this.w;
    const len = w.pos - start - 4;
    if (len > 0xffff) {
      w.pos = start;
      throw new RangeError(`attribute value of ${len} bytes exceeds the 65535-byte limit`);
    }
    writeU16(w.buf, start + 2, len);
    // RFC 8489 §14: values are padded to a multiple of 4 bytes.
    const pad = (4 - (len & 3)) & 3;
    if (pad) {
      w.ensure(pad);
      w.buf.fill(paddingByte, w.pos, w.pos + pad);
      w.pos += pad;
    }
  }

  /** Appends MESSAGE-INTEGRITY (HMAC-SHA1) and/or MESSAGE-INTEGRITY-SHA256 with `key`, then FINGERPRINT if asked. */
  build(options: BuildOptions = {}): Uint8Array {
    const key = options.integrityKey;
    const mode = key ? (options.integrity ?? 'sha1') : undefined;
    const body = this.w.pos;
    const total =
      body +
      (mode === 'sha1' || mode === 'both' ? 24 : 0) +
      (mode === 'sha256' || mode === 'both' ? 36 : 0) +
      (options.fingerprint ? 8 : 0);
    if (total - HEADER_LENGTH > 0xffff)
      throw new RangeError('STUN message exceeds the 65535-byte length field');
    const out = new Uint8Array(total);
    out.set(this.w.buf.subarray(0, body));
    let p = body;
    if (key && (mode === 'sha1' || mode === 'both')) {
      // RFC 8489 §14.5: HMAC over the message up to MESSAGE-INTEGRITY, length field including it.
      const mac = integrityHmac('sha1', key, out, p, p + 24 - HEADER_LENGTH);
      writeU16(out, p, AttributeType.MESSAGE_INTEGRITY);
      writeU16(out, p + 2, 20);
      out.set(mac, p + 4);
      p += 24;
    }
    if (key && (mode === 'sha256' || mode === 'both')) {
      const mac = integrityHmac('sha256', key, out, p, p + 36 - HEADER_LENGTH);
      writeU16(out, p, AttributeType.MESSAGE_INTEGRITY_SHA256);
      writeU16(out, p + 2, 32);
      out.set(mac, p + 4);
      p += 36;
    }
    if (options.fingerprint) {
      const crc = fingerprintValue(out, p, p + 8 - HEADER_LENGTH);
      writeU16(out, p, AttributeType.FINGERPRINT);
      writeU16(out, p + 2, 4);
      writeU32(out, p + 4, crc);
      p += 8;
    }
    writeU16(out, 2, p - HEADER_LENGTH);
    return out;
  }
}
