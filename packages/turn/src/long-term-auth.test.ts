import {
  decodeStunMessage,
  longTermKey,
  type StunMessage,
  StunMessageBuilder,
  StunMethod,
  verifyMessageIntegrity,
} from '@p2pcat/stun/core';
import { describe, expect, it } from 'vitest';
import { LongTermAuth, STALE_NONCE_RETRIES } from './long-term-auth.js';

const ID = new Uint8Array(12).fill(7);

function error(
  code: number,
  attrs: { realm?: string; nonce?: string; algorithms?: boolean } = {},
): StunMessage {
  const b = new StunMessageBuilder('error', StunMethod.Allocate, ID).add('ERROR_CODE', { code, reason: 'x' });
  if (attrs.realm !== undefined) b.add('REALM', attrs.realm);
  if (attrs.nonce !== undefined) b.add('NONCE', attrs.nonce);
  if (attrs.algorithms)
    b.add('PASSWORD_ALGORITHMS', [
      { algorithm: 2, parameters: new Uint8Array(0) },
      { algorithm: 1, parameters: new Uint8Array(0) },
    ]);
  return decodeStunMessage(b.build());
}

function request(auth: LongTermAuth): StunMessage {
  return decodeStunMessage(auth.sign(new StunMessageBuilder('request', StunMethod.Refresh, ID)));
}

const fresh = { authenticated: false, staleRetries: 0 };
const signed = { authenticated: true, staleRetries: 0 };

describe('LongTermAuth (RFC 8489 §9.2)', () => {
  it('signs nothing before a challenge', () => {
    const auth = new LongTermAuth('user', 'pass');
    expect(auth.ready).toBe(false);
    const m = request(auth);
    expect(m.has('USERNAME')).toBe(false);
    expect(m.has('MESSAGE_INTEGRITY')).toBe(false);
    expect(auth.authentic(m)).toBe(true);
  });

  it('learns REALM and NONCE from a 401 and signs with the MD5 key and MESSAGE-INTEGRITY (§9.2.3-9.2.4)', () => {
    const auth = new LongTermAuth('user', 'pass');
    expect(auth.onErrorResponse(401, error(401, { realm: 'r', nonce: 'n1' }), fresh)).toEqual({
      action: 'retry',
      staleRetries: 0,
    });
    expect(auth.ready).toBe(true);
    const m = request(auth);
    expect(m.get('USERNAME')).toBe('user');
    expect(m.get('REALM')).toBe('r');
    expect(m.get('NONCE')).toBe('n1');
    expect(verifyMessageIntegrity(m, longTermKey('user', 'r', 'pass', 'MD5'))).toBe(true);
  });

  it('a 401 to a signed request is not a challenge: the error stands', () => {
    const auth = new LongTermAuth('user', 'pass');
    auth.onErrorResponse(401, error(401, { realm: 'r', nonce: 'n1' }), fresh);
    expect(auth.onErrorResponse(401, error(401, { realm: 'r', nonce: 'n2' }), signed)).toEqual({
      action: 'none',
    });
  });

  it('a challenge without REALM or NONCE is malformed', () => {
    const auth = new LongTermAuth('user', 'pass');
    expect(auth.onErrorResponse(401, error(401, { nonce: 'n' }), fresh).action).toBe('malformed');
    expect(auth.onErrorResponse(438, error(438, { nonce: 'n' }), fresh).action).toBe('malformed');
    expect(auth.ready).toBe(false);
  });

  it(`follows 438 Stale Nonce with the new nonce at most ${STALE_NONCE_RETRIES} times (§9.2.5)`, () => {
    const auth = new LongTermAuth('user', 'pass');
    auth.onErrorResponse(401, error(401, { realm: 'r', nonce: 'n1' }), fresh);
    let retries = 0;
    for (let i = 0; i < STALE_NONCE_RETRIES; i++) {
      const out = auth.onErrorResponse(438, error(438, { realm: 'r', nonce: `s${i}` }), {
        authenticated: true,
        staleRetries: retries,
      });
      expect(out).toEqual({ action: 'retry', staleRetries: retries + 1 });
      retries++;
      expect(request(auth).get('NONCE')).toBe(`s${i}`);
    }
    expect(
      auth.onErrorResponse(438, error(438, { realm: 'r', nonce: 'x' }), { ...signed, staleRetries: retries }),
    ).toEqual({
      action: 'none',
    });
    expect(auth.onErrorResponse(438, error(438, { realm: 'r' }), signed)).toEqual({ action: 'none' });
  });

  it('uses SHA-256, USERHASH and MESSAGE-INTEGRITY-SHA256 when the nonce cookie offers them', () => {
    const auth = new LongTermAuth('user', 'pass');
    auth.onErrorResponse(401, error(401, { realm: 'r', nonce: 'obMatJos2wAAA-n', algorithms: true }), fresh);
    const m = request(auth);
    expect(m.has('USERHASH')).toBe(true);
    expect(m.has('USERNAME')).toBe(false);
    expect(m.get('PASSWORD_ALGORITHM')?.algorithm).toBe(2);
    expect(m.has('MESSAGE_INTEGRITY_SHA256')).toBe(true);
    expect(verifyMessageIntegrity(m, longTermKey('user', 'r', 'pass', 'SHA-256'))).toBe(true);
  });

  it('fails with a typed error on a REALM or a password that OpaqueString refuses', () => {
    const badRealm = new LongTermAuth('user', 'pass').onErrorResponse(
      401,
      error(401, { realm: 'a\u0000b', nonce: 'n' }),
      fresh,
    );
    expect(badRealm).toMatchObject({ action: 'fail', fromServer: true, error: { code: 'protocol' } });
    const badPassword = new LongTermAuth('user', '').onErrorResponse(
      401,
      error(401, { realm: 'r', nonce: 'n' }),
      fresh,
    );
    expect(badPassword).toMatchObject({
      action: 'fail',
      fromServer: false,
      error: { code: 'invalid-credentials' },
    });
  });

  it('accepts a success only with valid integrity; unprotected errors other than 401/438 pass', () => {
    const auth = new LongTermAuth('user', 'pass');
    auth.onErrorResponse(401, error(401, { realm: 'r', nonce: 'n' }), fresh);
    const key = longTermKey('user', 'r', 'pass', 'MD5');
    const good = decodeStunMessage(
      new StunMessageBuilder('success', StunMethod.Refresh, ID)
        .add('LIFETIME', 600)
        .build({ integrityKey: key }),
    );
    const forged = decodeStunMessage(
      new StunMessageBuilder('success', StunMethod.Refresh, ID)
        .add('LIFETIME', 600)
        .build({ integrityKey: new Uint8Array(16) }),
    );
    const bare = decodeStunMessage(new StunMessageBuilder('success', StunMethod.Refresh, ID).build());
    expect(auth.authentic(good)).toBe(true);
    expect(auth.authentic(forged)).toBe(false);
    expect(auth.authentic(bare)).toBe(false);
    expect(auth.authentic(error(437))).toBe(true);
    expect(auth.authentic(error(438, { nonce: 'z' }))).toBe(true);
  });

  it('reset forgets the credentials (300 redirect: start over unsigned)', () => {
    const auth = new LongTermAuth('user', 'pass');
    auth.onErrorResponse(401, error(401, { realm: 'r', nonce: 'obMatJos2wAAA-n', algorithms: true }), fresh);
    auth.reset();
    expect(auth.ready).toBe(false);
    expect(request(auth).has('MESSAGE_INTEGRITY')).toBe(false);
  });
});
