// Ephemeral X25519 keys, and the session keys both sides derive from the two tokens.
// HKDF-SHA256 over the ECDH secret with the transcript (invite bytes, then answer bytes) as salt
// binds the keys to exactly these two tokens: a token altered in the chat gives other keys, and
// the verification code shown on both sides no longer matches.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';

const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

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
  /** six digits both people can compare, e.g. "482 193" */
  verificationCode: string;
}

export function deriveSessionKeys(
  own: EphemeralKeyPair,
  peerPublicKey: Uint8Array,
  role: 'inviter' | 'joiner',
  inviteRaw: Uint8Array,
  answerRaw: Uint8Array,
): SessionKeys {
  const peer = createPublicKey({
    key: Buffer.concat([SPKI_X25519_PREFIX, peerPublicKey]),
    format: 'der',
    type: 'spki',
  });
  const shared = diffieHellman({ privateKey: own.privateKey, publicKey: peer });
  if (shared.every((b) => b === 0)) throw new Error('peer public key is degenerate');
  const salt = createHash('sha256').update(inviteRaw).update(answerRaw).digest();
  const okm = Buffer.from(hkdfSync('sha256', shared, salt, 'p2pcat v1 session keys', 68));
  const inviterToJoiner = new Uint8Array(okm.subarray(0, 32));
  const joinerToInviter = new Uint8Array(okm.subarray(32, 64));
  const code = (okm.readUInt32BE(64) % 1_000_000).toString().padStart(6, '0');
  return {
    sendKey: role === 'inviter' ? inviterToJoiner : joinerToInviter,
    receiveKey: role === 'inviter' ? joinerToInviter : inviterToJoiner,
    verificationCode: `${code.slice(0, 3)} ${code.slice(3)}`,
  };
}

/** For tests: a key pair from a fixed private key. */
export function keyPairFromPrivate(raw32: Uint8Array): EphemeralKeyPair {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw32]);
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicKey: new Uint8Array(der.subarray(der.length - 32)) };
}
