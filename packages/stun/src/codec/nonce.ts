/** RFC 8489 §9.2: a NONCE beginning with this "nonce cookie" carries a security feature set. */
export const NONCE_COOKIE = 'obMatJos2';

/** The security feature set a server announces in a NONCE with the nonce cookie (RFC 8489 §9.2). */
export interface SecurityFeatures {
  /** Bit 0: the server supports PASSWORD-ALGORITHMS. */
  passwordAlgorithms: boolean;
  /** Bit 1: the server supports USERHASH. */
  usernameAnonymity: boolean;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Builds a NONCE value: cookie, the 24-bit feature set as 4 base64 characters, then `nonce`. */
export function encodeNonceCookie(features: SecurityFeatures, nonce: string): string {
  // RFC 8489 §9.2: bits are numbered from the most significant bit of the 24-bit set.
  const bits = (features.passwordAlgorithms ? 0x800000 : 0) | (features.usernameAnonymity ? 0x400000 : 0);
  let enc = '';
  for (let shift = 18; shift >= 0; shift -= 6) enc += B64[(bits >> shift) & 0x3f];
  return NONCE_COOKIE + enc + nonce;
}

/** Reads the security feature set from a NONCE value; undefined when it has no nonce cookie. */
export function parseNonceCookie(nonce: string):
  | (SecurityFeatures & {
      /** The nonce after the cookie and the feature set. */
      rest: string;
    })
  | undefined {
  if (!nonce.startsWith(NONCE_COOKIE) || nonce.length < NONCE_COOKIE.length + 4) return undefined;
  let bits = 0;
  for (let i = 0; i < 4; i++) {
    const v = B64.indexOf(nonce.charAt(NONCE_COOKIE.length + i));
    if (v < 0) return undefined;
    bits = (bits << 6) | v;
  }
  return {
    passwordAlgorithms: (bits & 0x800000) !== 0,
    usernameAnonymity: (bits & 0x400000) !== 0,
    rest: nonce.slice(NONCE_COOKIE.length + 4),
  };
}
