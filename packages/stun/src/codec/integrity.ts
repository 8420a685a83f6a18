import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { readU32 } from './bytes.js';
import { HEADER_LENGTH } from './constants.js';
import { crc32, FINGERPRINT_XOR } from './fingerprint.js';
import { DecodedStunMessage, type StunMessage } from './message.js';

interface Hmac {
  update(data: Uint8Array): unknown;
  digestInto(out: Uint8Array): void;
  _cloneInto(to?: Hmac): Hmac;
}

interface KeyState {
  key: Uint8Array;
  /** Keyed states (inner/outer pads already hashed) and a reusable working copy of each. */
  sha1?: [template: Hmac, work: Hmac];
  sha256?: [template: Hmac, work: Hmac];
}

// HMAC states per key object, so a key's two pad blocks are hashed once, not per message. The
// key bytes are copied and compared on each use, so a key array modified later is re-keyed.
const keyStates = new WeakMap<Uint8Array, KeyState>();

function keyedHmac(key: Uint8Array, alg: 'sha1' | 'sha256'): Hmac {
  let st = keyStates.get(key);
  if (st === undefined || !bytesEqual(st.key, key)) {
    st = { key: key.slice() };
    keyStates.set(key, st);
  }
  let pair = st[alg];
  if (pair === undefined) {
    const template = hmac.create(alg === 'sha1' ? sha1 : sha256, key) as unknown as Hmac;
    pair = [template, template._cloneInto()];
    st[alg] = pair;
  }
  // Reset the working copy from the template without allocating.
  return pair[0]._cloneInto(pair[1]);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const scratchHeader = new Uint8Array(HEADER_LENGTH);
const macOut = new Uint8Array(32);
const mac20 = macOut.subarray(0, 20);

/**
 * HMAC over bytes[0, end) where the header's length field is replaced by `lengthField`
 * (RFC 8489 §14.5: the length counts up to and including the integrity attribute itself).
 * Returns a shared scratch buffer: copy or compare it before the next call.
 */
export function integrityHmac(
  alg: 'sha1' | 'sha256',
  key: Uint8Array,
  bytes: Uint8Array,
  end: number,
  lengthField: number,
): Uint8Array {
  scratchHeader.set(bytes.subarray(0, HEADER_LENGTH));
  scratchHeader[2] = lengthField >>> 8;
  scratchHeader[3] = lengthField;
  const h = keyedHmac(key, alg);
  h.update(scratchHeader);
  h.update(bytes.subarray(HEADER_LENGTH, end));
  h.digestInto(macOut);
  return alg === 'sha1' ? mac20 : macOut;
}

/** Constant-time. Checks MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY. false if neither. */
export function verifyMessageIntegrity(message: StunMessage, key: Uint8Array): boolean {
  const m = message instanceof DecodedStunMessage ? message : new DecodedStunMessage(message.raw);
  const i = m.mi256 >= 0 ? m.mi256 : m.mi;
  if (i < 0) return false;
  const alg = m.mi256 >= 0 ? 'sha256' : 'sha1';
  const off = m.attributeOffset(i);
  const len = m.attributeLength(i);
  const mac = integrityHmac(alg, key, m.raw, off, off + 4 + len - HEADER_LENGTH);
  // Constant time: every byte is compared. RFC 8489 §14.6: a truncated
  // MESSAGE-INTEGRITY-SHA256 compares the leading bytes of the HMAC.
  const raw = m.raw;
  let diff = 0;
  for (let j = 0; j < len; j++) diff |= (mac[j] as number) ^ (raw[off + 4 + j] as number);
  return diff === 0;
}

/** RFC 8489 §14.7: CRC-32 of the message up to FINGERPRINT (length field covering it) XOR 0x5354554e. */
export function fingerprintValue(bytes: Uint8Array, end: number, lengthField: number): number {
  scratchHeader.set(bytes.subarray(0, HEADER_LENGTH));
  scratchHeader[2] = lengthField >>> 8;
  scratchHeader[3] = lengthField;
  const crc = crc32(bytes, HEADER_LENGTH, end, crc32(scratchHeader));
  return (crc ^ FINGERPRINT_XOR) >>> 0;
}

/** false if the message has no FINGERPRINT. */
export function verifyFingerprint(message: StunMessage): boolean {
  const m = message instanceof DecodedStunMessage ? message : new DecodedStunMessage(message.raw);
  if (m.fp < 0) return false;
  const off = m.attributeOffset(m.fp);
  return fingerprintValue(m.raw, off, off + 8 - HEADER_LENGTH) === readU32(m.raw, off + 4);
}
