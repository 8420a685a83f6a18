// The chat-relay attack on the verification code (issue 13, item 2), played against the old
// derivation (token version 1) and the current one. The relay swaps both tokens for its own:
// the joiner talks to it under invite_M / answer_J, the inviter under invite_I / answer_M, and it
// makes answer_M last. It wins when the two people see the same code.
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  CODE_DIGITS,
  commitTo,
  deriveKeysFromShared,
  keyPairFromPrivate,
  sharedSecret,
  verificationCodeFrom,
} from './keys.js';

const kp = (b: number) => keyPairFromPrivate(new Uint8Array(32).fill(b));
const inviter = kp(1);
const joiner = kp(2);
const relayToJoiner = kp(3); // the key in the relay's forged invite
const relayToInviter = kp(4); // the key in the relay's forged answer
const inviteI = Buffer.alloc(120, 0x11); // the real invite's bytes (stand-ins: only bytes matter)
const inviteM = Buffer.alloc(120, 0x22); // the forged invite the joiner receives
// The joiner's answer. Its byte value was picked so that the old-scheme grind below matches
// after ~20 000 tries instead of the ~10^6 expected on average (about 11 s on one core): what the
// test shows is that the relay knows, before sending, whether a forged answer matches.
const answerJ = Buffer.alloc(100, 154);

/** The code of token version 1: HKDF over the ECDH secret and transcript, 6 digits (19.9 bits). */
function oldCode(shared: Uint8Array, invite: Uint8Array, answer: Uint8Array): number {
  const salt = createHash('sha256').update(invite).update(answer).digest();
  return (
    Buffer.from(hkdfSync('sha256', shared, salt, 'p2pcat v1 session keys', 68)).readUInt32BE(64) % 1_000_000
  );
}

/** The forged answer number `n`: the relay varies a candidate priority (4 bytes at offset 60). */
function forgedAnswer(n: number): Buffer {
  const a = Buffer.alloc(100, 0x33);
  a.writeUInt32BE(n, 60);
  return a;
}

describe('the verification code against a relay of the tokens', () => {
  test('old scheme (v1): the relay computes the inviter-side code of each forged answer offline and grinds a match', () => {
    const joinerSide = oldCode(sharedSecret(joiner, relayToJoiner.publicKey), inviteM, answerJ);
    const inviterShared = sharedSecret(relayToInviter, inviter.publicKey);
    let found = -1;
    for (let n = 0; n < 1_000_000 && found < 0; n++)
      if (oldCode(inviterShared, inviteI, forgedAnswer(n)) === joinerSide) found = n;
    expect(found).toBeGreaterThanOrEqual(0);
    // The inviter, given that forged answer, really shows the joiner's code.
    const shownByInviter = oldCode(
      sharedSecret(inviter, relayToInviter.publicKey),
      inviteI,
      forgedAnswer(found),
    );
    expect(shownByInviter).toBe(joinerSide);
  });

  test('current scheme: over 10^6 sessions the forged answers match at the chance rate 10^-8, not more', () => {
    // Joiner side: the relay is the inviter there. It committed to its nonce N_M in the forged
    // invite before the joiner's (random) answer existed, and the joiner checks N_M against it:
    // the joiner-side code is fixed by then. The relay knows it; call it the target.
    const nM = randomBytes(32);
    const commitmentM = commitTo(nM);
    const joinerKeys = deriveKeysFromShared(
      sharedSecret(joiner, relayToJoiner.publicKey),
      'joiner',
      inviteM,
      answerJ,
    );
    expect(commitTo(nM)).toEqual(commitmentM);
    const target = verificationCodeFrom(joinerKeys.handshake.codeKey, nM);
    // Inviter side: the relay fixes its forged answer, then (in the encrypted channel) the inviter
    // reveals its nonce N_i, fresh in every session. The relay's best move is to try again, and
    // each try is a whole new session (a new invite, a new N_i) that both people see. 10^3
    // forged answers (priorities) x 10^3 sessions each = 10^6 attempts.
    const inviterShared = sharedSecret(inviter, relayToInviter.publicKey);
    let matches = 0;
    let attempts = 0;
    for (let n = 0; n < 1000; n++) {
      const { codeKey } = deriveKeysFromShared(inviterShared, 'inviter', inviteI, forgedAnswer(n)).handshake;
      const nonces = randomBytes(32 * 1000);
      for (let s = 0; s < 1000; s++) {
        attempts++;
        if (verificationCodeFrom(codeKey, nonces.subarray(s * 32, s * 32 + 32)) === target) matches++;
      }
    }
    expect(attempts).toBe(1_000_000);
    // Expected 10^6 / 10^8 = 0.01 matches; P(>= 3) under that rate is below 2e-7.
    expect(matches).toBeLessThanOrEqual(2);
  }, 120_000);

  test('the relay cannot open its commitment to another nonce of its choice (the joiner checks it)', () => {
    const nM = randomBytes(32);
    const c = commitTo(nM);
    let equal = 0;
    for (let i = 0; i < 10_000; i++)
      if (Buffer.from(commitTo(randomBytes(32))).equals(Buffer.from(c))) equal++;
    expect(equal).toBe(0);
    expect(c).toHaveLength(16);
  });

  test(`the code: ${CODE_DIGITS} digits in two groups, the same on both sides, changed by any token byte`, () => {
    const nonce = randomBytes(32);
    const i = deriveKeysFromShared(sharedSecret(inviter, joiner.publicKey), 'inviter', inviteI, answerJ);
    const j = deriveKeysFromShared(sharedSecret(joiner, inviter.publicKey), 'joiner', inviteI, answerJ);
    const ci = verificationCodeFrom(i.handshake.codeKey, nonce);
    expect(ci).toMatch(/^\d{4} \d{4}$/);
    expect(verificationCodeFrom(j.handshake.codeKey, nonce)).toBe(ci);
    expect(i.session.sendKey).toEqual(j.session.receiveKey);
    expect(i.handshake.sendKey).toEqual(j.handshake.receiveKey);
    expect(i.handshake.sendKey).not.toEqual(i.session.sendKey);
    const altered = Buffer.from(answerJ);
    altered[0] = (altered[0] ?? 0) ^ 1;
    const k = deriveKeysFromShared(sharedSecret(inviter, joiner.publicKey), 'inviter', inviteI, altered);
    expect(verificationCodeFrom(k.handshake.codeKey, nonce)).not.toBe(ci);
  });
});
