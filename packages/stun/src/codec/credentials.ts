import { md5 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { StunError } from '../errors.js';

const encoder = new TextEncoder();

// Unicode general category Zs except U+0020 (RFC 8264 §9.14 / RFC 3454 C.1.2).
const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;
// RFC 3454 table B.1: code points commonly mapped to nothing (used by SASLprep, RFC 4013 §2.1).
function isMappedToNothing(c: number): boolean {
  return (
    c === 0x00ad ||
    c === 0x034f ||
    c === 0x1806 ||
    (c >= 0x180b && c <= 0x180d) ||
    (c >= 0x200b && c <= 0x200d) ||
    c === 0x2060 ||
    (c >= 0xfe00 && c <= 0xfe0f) ||
    c === 0xfeff
  );
}

/**
 * RFC 8264 §9 (FreeformClass, the base of OpaqueString): code points no string may hold after
 * mapping and normalisation: controls (Cc, §9.12), surrogates (Cs), unassigned code points and
 * noncharacters (Cn), and conjoining Hangul jamo (OldHangulJamo, §9.9: Hangul_Syllable_Type L, V
 * or T; NFC has already composed the modern ones into syllables).
 */
const DISALLOWED = /[\p{Cc}\p{Cs}\p{Cn}\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]/u;

/** A password, realm or username that a PRECIS profile refuses (RFC 8265 §4.2 / RFC 8264 §9). */
export class PrecisError extends StunError<'precis-refused'> {
  constructor(message: string, options?: ErrorOptions) {
    super('precis-refused', message, options);
    this.name = 'PrecisError';
  }
}

function describeCodePoint(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * PRECIS OpaqueString preparation (RFC 8265 §4.2), used by RFC 8489 §9.2.2 for passwords and
 * realms: non-ASCII spaces become U+0020, then Unicode NFC; the result MUST NOT be empty nor hold
 * a code point FreeformClass disallows (RFC 8265 §4.2.2), else a PrecisError names the culprit.
 */
export function opaqueString(s: string, what = 'string'): string {
  if (s.length === 0) throw new PrecisError(`the ${what} is empty, which RFC 8265 OpaqueString refuses`);
  // RFC 8265 §4.2.2: additional mapping rule maps non-ASCII space to ASCII space; NFC.
  let out = s;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      out = s.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
      break;
    }
  }
  const bad = DISALLOWED.exec(out);
  if (bad)
    throw new PrecisError(
      `the ${what} holds ${describeCodePoint(bad[0])}, a character RFC 8265 OpaqueString disallows`,
    );
  return out;
}

/**
 * SASLprep (RFC 4013) as RFC 5389 used it, for peers of that era and the RFC 5769 vectors:
 * map B.1 code points to nothing, non-ASCII spaces to U+0020, then NFKC.
 */
export function saslPrep(s: string): string {
  let kept = '';
  for (let i = 0; i < s.length; i++) if (!isMappedToNothing(s.charCodeAt(i))) kept += s.charAt(i);
  return kept.replace(NON_ASCII_SPACE, ' ').normalize('NFKC');
}

/** RFC 8489 §9.1.1: the short-term key is the OpaqueString-prepared password as UTF-8. */
export function shortTermKey(password: string): Uint8Array {
  return encoder.encode(opaqueString(password, 'password'));
}

/** Options of `longTermKey`. */
export interface LongTermKeyOptions {
  /** 'opaque-string' (RFC 8489, default) or 'saslprep' (RFC 5389 peers). */
  prepare?: 'opaque-string' | 'saslprep';
}

/**
 * RFC 8489 §9.2.2: key = MD5(username ":" OpaqueString(realm) ":" OpaqueString(password))
 * or SHA-256 of the same string for the SHA-256 password algorithm.
 */
export function longTermKey(
  username: string,
  realm: string,
  password: string,
  algorithm: 'MD5' | 'SHA-256' = 'MD5',
  options: LongTermKeyOptions = {},
): Uint8Array {
  const input =
    options.prepare === 'saslprep'
      ? encoder.encode(`${username}:${saslPrep(realm)}:${saslPrep(password)}`)
      : encoder.encode(`${username}:${opaqueString(realm, 'realm')}:${opaqueString(password, 'password')}`);
  if (algorithm === 'MD5') return md5(input);
  if (algorithm === 'SHA-256') return sha256(input);
  throw new RangeError(`password algorithm "${String(algorithm)}" is unknown: use 'MD5' or 'SHA-256'`);
}

/** RFC 8489 §14.4: USERHASH = SHA-256(OpaqueString(username) ":" OpaqueString(realm)). */
export function userhash(username: string, realm: string): Uint8Array {
  return sha256(encoder.encode(`${opaqueString(username, 'username')}:${opaqueString(realm, 'realm')}`));
}
