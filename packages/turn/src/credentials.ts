import { createHmac } from 'node:crypto';

/** A username/password pair for the long-term credential mechanism (RFC 8489 §9.2). */
export interface TurnCredentials {
  /** The user name. */
  username: string;
  /** The password. */
  password: string;
}

/** Options of `restApiCredentials`. */
export interface RestApiCredentialOptions {
  /** the server's shared secret (coturn `static-auth-secret`) */
  secret: string;
  /** the user part after the colon; omitted gives a bare timestamp username */
  user?: string;
  /** how long the credentials are valid, seconds */
  ttlSeconds: number;
  /** current time in ms since the epoch (default Date.now()) */
  now?: number;
}

/**
 * Short-lived credentials in the "TURN REST API" form most deployments hand out
 * (draft-uberti-behave-turn-rest): username "<expiry unix seconds>:<user>",
 * password base64(HMAC-SHA1(secret, username)). coturn's `use-auth-secret` checks exactly this.
 */
export function restApiCredentials(options: RestApiCredentialOptions): TurnCredentials {
  const expiry = Math.floor((options.now ?? Date.now()) / 1000) + Math.max(0, Math.floor(options.ttlSeconds));
  const username = options.user === undefined ? String(expiry) : `${expiry}:${options.user}`;
  const password = createHmac('sha1', options.secret).update(username, 'utf8').digest('base64');
  return { username, password };
}

/** RFC 8489 §9.2: "obMatJos2" then 4 base64 characters carrying 24 bits of security features. */
const NONCE_COOKIE = 'obMatJos2';

export interface SecurityFeatures {
  /** bit 0: the server supports PASSWORD-ALGORITHMS */
  passwordAlgorithms: boolean;
  /** bit 1: the server supports USERHASH */
  usernameAnonymity: boolean;
}

/** undefined when the nonce carries no cookie (an RFC 5389 server). */
export function parseNonceCookie(nonce: string): SecurityFeatures | undefined {
  if (!nonce.startsWith(NONCE_COOKIE) || nonce.length < NONCE_COOKIE.length + 4) return undefined;
  const b64 = nonce.slice(NONCE_COOKIE.length, NONCE_COOKIE.length + 4);
  if (!/^[A-Za-z0-9+/]{4}$/.test(b64)) return undefined;
  const bytes = Buffer.from(b64, 'base64');
  const first = bytes[0] ?? 0;
  return { passwordAlgorithms: (first & 0x80) !== 0, usernameAnonymity: (first & 0x40) !== 0 };
}
