import { ATTRIBUTE_CODECS, attributeTypeName, isKnownAttributeType } from './attributes/registry.js';
import type { AttributeName, AttributeValues } from './attributes/values.js';
import { readU16 } from './bytes.js';
import { AttributeType, HEADER_LENGTH, MAGIC_COOKIE, type MessageClass } from './constants.js';
import { StunDecodeError } from './errors.js';
import { decodeMessageClass, decodeMessageMethod } from './header.js';

/** One attribute as on the wire: its type and unpadded value. */
export interface StunAttribute {
  /** The attribute type code (see `AttributeType`). */
  type: number;
  /** The value bytes, without padding. */
  value: Uint8Array;
}

/** A decoded STUN message (RFC 8489 §5): header fields and attributes, decoded on demand. */
export interface StunMessage {
  /** Request, indication, success or error response. */
  readonly class: MessageClass;
  /** The method code (see `StunMethod`). */
  readonly method: number;
  /** 12 bytes (for a classic RFC 3489 message: the last 12 of its 16-byte id). */
  readonly transactionId: Uint8Array;
  /** Every attribute, wire order (including any that follow MESSAGE-INTEGRITY or FINGERPRINT). */
  readonly attributes: readonly StunAttribute[];
  /** The exact bytes decoded. */
  readonly raw: Uint8Array;
  /** RFC 3489 message (no magic cookie). */
  readonly isClassic: boolean;
  /**
   * First attribute of that type before MESSAGE-INTEGRITY(-SHA256) (FINGERPRINT excepted),
   * decoded; undefined if absent. Throws StunDecodeError if its value is malformed.
   */
  get<K extends AttributeName>(name: K): AttributeValues[K] | undefined;
  /**
   * Every attribute of that type before MESSAGE-INTEGRITY(-SHA256) (FINGERPRINT excepted), decoded,
   * in wire order.
   */
  getAll<K extends AttributeName>(name: K): AttributeValues[K][];
  /** Whether the message carries an attribute of that type. */
  has(name: AttributeName | 'MESSAGE_INTEGRITY' | 'MESSAGE_INTEGRITY_SHA256' | 'FINGERPRINT'): boolean;
  /** Comprehension-required (0x0000-0x7FFF) attribute types this codec does not know: answer 420. */
  readonly unknownComprehensionRequired: readonly number[];
}

const NONE: readonly number[] = Object.freeze([]);

/** Decoded message: attributes are indexed (type, value offset, length), decoded on demand. */
export class DecodedStunMessage implements StunMessage {
  readonly class: MessageClass;
  readonly method: number;
  readonly transactionId: Uint8Array;
  readonly raw: Uint8Array;
  readonly isClassic: boolean;
  /** Triples (type, value offset, value length) of every attribute, wire order. */
  readonly index: number[];
  /** Number of attributes (from the start) visible to get(): those before the first integrity attribute. */
  readonly visible: number;
  /** Attribute index of MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256, FINGERPRINT honoured, or -1. */
  readonly mi: number;
  readonly mi256: number;
  readonly fp: number;
  readonly unknownComprehensionRequired: readonly number[];
  private attrs: StunAttribute[] | undefined;

  constructor(raw: Uint8Array) {
    this.raw = raw;
    const n = raw.length;
    if (n < HEADER_LENGTH)
      throw new StunDecodeError('too-short', `${n} bytes is shorter than the 20-byte STUN header`);
    const type = readU16(raw, 0);
    // RFC 8489 §5: the two most significant bits of every STUN message are zero.
    if (type & 0xc000)
      throw new StunDecodeError('not-stun', 'first two bits are not zero: not a STUN message');
    const length = readU16(raw, 2);
    if (length + HEADER_LENGTH !== n) {
      throw new StunDecodeError(
        'bad-length',
        `length field ${length} does not match ${n - HEADER_LENGTH} bytes after the header`,
      );
    }
    // RFC 8489 §5: the message length is a multiple of 4 (attributes are padded).
    if (length & 3) throw new StunDecodeError('bad-length', `length field ${length} is not a multiple of 4`);
    this.class = decodeMessageClass(type);
    this.method = decodeMessageMethod(type);
    this.isClassic = readU16(raw, 4) !== MAGIC_COOKIE >>> 16 || readU16(raw, 6) !== (MAGIC_COOKIE & 0xffff);
    this.transactionId = raw.subarray(8, 20);

    const index: number[] = [];
    let visible = -1;
    let mi = -1;
    let mi256 = -1;
    let fp = -1;
    let unknown: Set<number> | undefined;
    let count = 0;
    let p = HEADER_LENGTH;
    // Each iteration advances p by at least 4 and stops at n: bounded by the message length.
    while (p < n) {
      if (p + 4 > n)
        throw new StunDecodeError('truncated-attribute', 'attribute header runs past the message end');
      const at = readU16(raw, p);
      const alen = readU16(raw, p + 2);
      const next = p + 4 + ((alen + 3) & ~3);
      if (next > n) {
        throw new StunDecodeError(
          'truncated-attribute',
          `${attributeTypeName(at)} (${alen} bytes) runs past the message end`,
        );
      }
      index.push(at, p + 4, alen);
      if (fp < 0) {
        if (at === AttributeType.FINGERPRINT) {
          if (alen !== 4)
            throw new StunDecodeError('bad-attribute-length', 'FINGERPRINT value must be 4 bytes');
          fp = count;
          if (visible < 0) visible = count;
        } else if (at === AttributeType.MESSAGE_INTEGRITY_SHA256) {
          if (mi256 < 0) {
            // RFC 8489 §14.6: at least 16 bytes, at most 32, a multiple of 4.
            if (alen < 16 || alen > 32 || alen & 3) {
              throw new StunDecodeError(
                'bad-attribute-length',
                `MESSAGE-INTEGRITY-SHA256 value of ${alen} bytes`,
              );
            }
            mi256 = count;
            if (visible < 0) visible = count;
          }
        } else if (at === AttributeType.MESSAGE_INTEGRITY) {
          if (mi < 0 && mi256 < 0) {
            if (alen !== 20)
              throw new StunDecodeError('bad-attribute-length', 'MESSAGE-INTEGRITY value must be 20 bytes');
            mi = count;
            if (visible < 0) visible = count;
          }
        } else if (visible < 0 && at < 0x8000 && !isKnownAttributeType(at)) {
          // RFC 8489 §14: unknown comprehension-required attributes make the message fail (420).
          // A Set, not includes(): a 64 KiB datagram holds 16 000 distinct types (O(n²) otherwise).
          if (unknown === undefined) unknown = new Set();
          unknown.add(at);
        }
      }
      count++;
      p = next;
    }
    this.index = index;
    // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY are ignored, except
    // MESSAGE-INTEGRITY-SHA256 and FINGERPRINT; §14.6: after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT;
    // §14.7: FINGERPRINT is the last attribute.
    this.visible = visible < 0 ? count : visible;
    this.mi = mi;
    this.mi256 = mi256;
    this.fp = fp;
    this.unknownComprehensionRequired = unknown === undefined ? NONE : [...unknown];
  }

  get attributes(): readonly StunAttribute[] {
    if (this.attrs === undefined) {
      const a: StunAttribute[] = [];
      const idx = this.index;
      for (let i = 0; i < idx.length; i += 3) {
        const off = idx[i + 1] as number;
        a.push({ type: idx[i] as number, value: this.raw.subarray(off, off + (idx[i + 2] as number)) });
      }
      this.attrs = a;
    }
    return this.attrs;
  }

  get<K extends AttributeName>(name: K): AttributeValues[K] | undefined {
    const codec = ATTRIBUTE_CODECS[name];
    const t = codec.type;
    const idx = this.index;
    const end = this.visible * 3;
    for (let i = 0; i < end; i += 3) {
      if (idx[i] === t)
        return codec.read(this.raw, idx[i + 1] as number, idx[i + 2] as number, this.transactionId);
    }
    return undefined;
  }

  getAll<K extends AttributeName>(name: K): AttributeValues[K][] {
    const codec = ATTRIBUTE_CODECS[name];
    const t = codec.type;
    const idx = this.index;
    const end = this.visible * 3;
    const out: AttributeValues[K][] = [];
    for (let i = 0; i < end; i += 3) {
      if (idx[i] === t)
        out.push(codec.read(this.raw, idx[i + 1] as number, idx[i + 2] as number, this.transactionId));
    }
    return out;
  }

  has(name: AttributeName | 'MESSAGE_INTEGRITY' | 'MESSAGE_INTEGRITY_SHA256' | 'FINGERPRINT'): boolean {
    if (name === 'MESSAGE_INTEGRITY') return this.mi >= 0;
    if (name === 'MESSAGE_INTEGRITY_SHA256') return this.mi256 >= 0;
    if (name === 'FINGERPRINT') return this.fp >= 0;
    const t = AttributeType[name];
    const idx = this.index;
    const end = this.visible * 3;
    for (let i = 0; i < end; i += 3) if (idx[i] === t) return true;
    return false;
  }

  /** Offset of the header of the attribute at index i. */
  attributeOffset(i: number): number {
    return (this.index[i * 3 + 1] as number) - 4;
  }

  attributeLength(i: number): number {
    return this.index[i * 3 + 2] as number;
  }
}

/** Decodes a STUN message (RFC 8489 §5, §14). Throws only StunDecodeError. Classic RFC 3489 messages are accepted. */
export function decodeStunMessage(bytes: Uint8Array): StunMessage {
  return new DecodedStunMessage(bytes);
}
