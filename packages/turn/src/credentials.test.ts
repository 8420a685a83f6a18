import { describe, expect, it } from 'vitest';
import { parseNonceCookie, restApiCredentials } from './credentials.js';

describe('restApiCredentials', () => {
  it('builds "expiry:user" and base64(HMAC-SHA1(secret, username))', () => {
    // expected value computed with: printf '%s' '1700003600:alice' | openssl dgst -sha1 -hmac north -binary | base64
    const c = restApiCredentials({
      secret: 'north',
      user: 'alice',
      ttlSeconds: 3600,
      now: 1_700_000_000_000,
    });
    expect(c).toEqual({ username: '1700003600:alice', password: 'wjwSXO2ch1B6VaLTLMy2Avn5O9o=' });
  });

  it('omits the user part when no user is given', () => {
    expect(restApiCredentials({ secret: 's', ttlSeconds: 10, now: 5_000 }).username).toBe('15');
  });
});

describe('parseNonceCookie (RFC 8489 §9.2)', () => {
  it('reads the security feature bits', () => {
    expect(parseNonceCookie('obMatJos2wAAAxyz')).toEqual({
      passwordAlgorithms: true,
      usernameAnonymity: true,
    });
    expect(parseNonceCookie('obMatJos2gAAAxyz')).toEqual({
      passwordAlgorithms: true,
      usernameAnonymity: false,
    });
    expect(parseNonceCookie('obMatJos2AAAA')).toEqual({
      passwordAlgorithms: false,
      usernameAnonymity: false,
    });
  });
  it('returns undefined without a cookie', () => {
    expect(parseNonceCookie('plain-nonce')).toBeUndefined();
    expect(parseNonceCookie('obMatJos2!!')).toBeUndefined();
  });
});
