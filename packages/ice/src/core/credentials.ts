import type { RandomSource } from './random.js';

/** ICE credentials (RFC 8445 §5.3): the username fragment and password. */
export interface IceCredentials {
  /** Username fragment: 4 to 256 ice-chars (RFC 8839 §5.4). */
  ufrag: string;
  /** Password: 22 to 256 ice-chars (RFC 8839 §5.4). */
  pwd: string;
}

// RFC 8445 §5.3 / RFC 8839 ice-char = ALPHA / DIGIT / "+" / "/"
const ICE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function iceString(random: RandomSource, length: number): string {
  // 64 symbols: each byte's low 6 bits pick one, so every symbol is equally likely.
  const bytes = random.bytes(length);
  let s = '';
  for (const b of bytes) s += ICE_CHARS[b & 63];
  return s;
}

/**
 * RFC 8445 §5.3: the ufrag MUST carry at least 24 bits of randomness and the password at least 128;
 * RFC 8839 §5.4: ufrag 4..256 chars, pwd 22..256 chars. 8 and 24 chars give 48 and 144 bits.
 */
export function generateCredentials(random: RandomSource): IceCredentials {
  return { ufrag: iceString(random, 8), pwd: iceString(random, 24) };
}

export function validateCredentials(c: IceCredentials): string | undefined {
  const ok = /^[A-Za-z0-9+/]+$/;
  if (c.ufrag.length < 4 || c.ufrag.length > 256 || !ok.test(c.ufrag))
    return 'ICE ufrag must be 4 to 256 ice-chars (letters, digits, + or /)';
  if (c.pwd.length < 22 || c.pwd.length > 256 || !ok.test(c.pwd))
    return 'ICE pwd must be 22 to 256 ice-chars (letters, digits, + or /)';
  return undefined;
}
