// Ephemeral X25519 keys, the session keys both sides derive from the two tokens, and the
// verification code.
//
// Keys: HKDF-SHA256 over the ECDH secret with the transcript (SHA-256 of invite bytes, then answer
// bytes) as salt, one info label per purpose (session records, handshake messages, code key).
// A token altered in the chat gives other keys on the two sides.
//
// Why the code needs the inviter's committed nonce N_i (the attack it stops):
// whoever relays the tokens (a chat server, a group member who can edit messages) can swap both
// tokens for their own and sit in the middle: the inviter then talks to the relay (invite_I,
// answer_M) and the joiner to the relay (invite_M, answer_J). The people catch this only when the
// two codes differ. With a code derived from the ECDH secret and the transcript alone (p2pcat
// token version 1: 6 digits, about 20 bits), the relay knew both codes before it sent anything,
// and it makes the forged answer last: it could vary its answer (a candidate priority, its key)
// offline until the inviter-side code equalled the joiner-side one - about 10^6 tries, seconds on
// one core - and both people then saw the same code.
// Now (as ZRTP's hash commitment, RFC 6189 §4.4.1.1) the invite carries C = SHA-256(label || N_i)
// for a 32-byte secret N_i that the inviter reveals only inside the encrypted channel, after the
// answer was fixed; the code is HMAC(codeKey, N_i), where codeKey comes from the ECDH secret and
// the transcript. On the inviter's side the relay must fix its answer before it learns N_i, so
// the inviter-side code is a fresh pseudo-random value it cannot predict; on the joiner's side
// the relay is the inviter: it committed to its own N_M in the invite it gave the joiner, before
// the joiner's random key (in answer_J) existed, and the joiner checks N_M against that
// commitment. Each attempt therefore matches with probability 10^-8 (2^-26.6), and each attempt
// costs a whole new session that both people see. Eight digits: six are only 19.9 bits, and the
// issue asks for at least 2^-20 per session.
// What the code does not stop: a relay that the people do not compare codes through a separate
// channel (voice, in person) - it is then an ordinary man in the middle; see README "Security model".
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { COMMITMENT_BYTES } from './token.js';

const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const COMMIT_LABEL = 'p2pcat v2 nonce commitment';
const CODE_LABEL = 'p2pcat v2 verification code';
/** Bytes of the inviter's secret nonce N_i. */
export const NONCE_BYTES = 32;
/** Decimal digits of the verification code: 10^8 codes, 26.6 bits. */
export const CODE_DIGITS = 8;

export interface EphemeralKeyPair {
  privateKey: KeyObject;
  publicKey: Uint8Array;
}

export function generateEphemeralKeyPair(): EphemeralKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return { privateKey, publicKey: new Uint8Array(der.subarray(der.length - 32)) };
}

export interface SessionKeys {
  /** key for records we send */
  sendKey: Uint8Array;
  /** key for records we receive */
  receiveKey: Uint8Array;
  /** eight digits both people can compare, e.g. "4821 9307" (known after the handshake) */
  verificationCode: string;
}

/** What the handshake (handshake.ts) needs besides the session keys. */
export interface HandshakeKeys {
  /** key of the handshake messages we send (its own counter: the session's records are untouched) */
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
  /** HMAC key of the verification code; the inviter's nonce is the message */
  codeKey: Uint8Array;
}

export interface DerivedKeys {
  /** session keys; `verificationCode` is empty until the handshake revealed N_i */
  session: SessionKeys;
  handshake: HandshakeKeys;
}

/** SHA-256(label || nonce), first COMMITMENT_BYTES bytes: what an invite carries. */
export function commitTo(nonce: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash('sha256').update(COMMIT_LABEL).update(nonce).digest().subarray(0, COMMITMENT_BYTES),
  );
}

/**
 * The verification code from the code key and the inviter's nonce: HMAC-SHA256, the first six
 * bytes (48 bits) reduced modulo 10^8 (bias under 2^-21 relative), shown as "1234 5678".
 * Pure and cheap: the attack test runs it a million times.
 */
export function verificationCodeFrom(codeKey: Uint8Array, inviterNonce: Uint8Array): string {
  const mac = createHmac('sha256', codeKey).update(CODE_LABEL).update(inviterNonce).digest();
  const code = (mac.readUIntBE(0, 6) % 10 ** CODE_DIGITS).toString().padStart(CODE_DIGITS, '0');
  return `${code.slice(0, 4)} ${code.slice(4)}`;
}

/** HKDF-SHA256(shared, SHA-256(invite || answer), info), `length` bytes. */
function expand(shared: Uint8Array, transcript: Buffer, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, transcript, info, length));
}

/** The ECDH shared secret; throws on a degenerate peer key (tokens refuse those when read). */
export function sharedSecret(own: EphemeralKeyPair, peerPublicKey: Uint8Array): Uint8Array {
  const peer = createPublicKey({
    key: Buffer.concat([SPKI_X25519_PREFIX, peerPublicKey]),
    format: 'der',
    type: 'spki',
  });
  const shared = diffieHellman({ privateKey: own.privateKey, publicKey: peer });
  if (shared.every((b) => b === 0)) throw new Error('peer public key is degenerate');
  return shared;
}

/** Every key of one session from the shared secret and the two tokens' exact bytes. */
export function deriveKeysFromShared(
  shared: Uint8Array,
  role: 'inviter' | 'joiner',
  inviteRaw: Uint8Array,
  answerRaw: Uint8Array,
): DerivedKeys {
  const transcript = createHash('sha256').update(inviteRaw).update(answerRaw).digest();
  const okm = expand(shared, transcript, 'p2pcat v2 session keys', 64);
  const hs = expand(shared, transcript, 'p2pcat v2 handshake keys', 64);
  const codeKey = new Uint8Array(expand(shared, transcript, 'p2pcat v2 code key', 32));
  const pick = (buf: Buffer, inviterToJoiner: boolean) =>
    new Uint8Array(buf.subarray(inviterToJoiner ? 0 : 32, inviterToJoiner ? 32 : 64));
  const inviter = role === 'inviter';
  return {
    session: { sendKey: pick(okm, inviter), receiveKey: pick(okm, !inviter), verificationCode: '' },
    handshake: { sendKey: pick(hs, inviter), receiveKey: pick(hs, !inviter), codeKey },
  };
}

export function deriveKeys(
  own: EphemeralKeyPair,
  peerPublicKey: Uint8Array,
  role: 'inviter' | 'joiner',
  inviteRaw: Uint8Array,
  answerRaw: Uint8Array,
): DerivedKeys {
  return deriveKeysFromShared(sharedSecret(own, peerPublicKey), role, inviteRaw, answerRaw);
}

/** The session keys alone (tests of the record layer); the code is left empty. */
export function deriveSessionKeys(
  own: EphemeralKeyPair,
  peerPublicKey: Uint8Array,
  role: 'inviter' | 'joiner',
  inviteRaw: Uint8Array,
  answerRaw: Uint8Array,
): SessionKeys {
  return deriveKeys(own, peerPublicKey, role, inviteRaw, answerRaw).session;
}

/** For tests: a key pair from a fixed private key. */
export function keyPairFromPrivate(raw32: Uint8Array): EphemeralKeyPair {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw32]);
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicKey: new Uint8Array(der.subarray(der.length - 32)) };
}
