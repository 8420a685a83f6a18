// Invite and answer tokens: one copy-paste-safe line carrying what the peer needs to reach us
// (ICE credentials, candidates) and our ephemeral public key. Nothing in it is useful after the
// session: the key pair and the ICE credentials are thrown away when p2pcat exits.
//
// Binary layout (then Crockford base 32 behind the text prefix "p2pcat2"):
//   version u8 | kind u8 | expiry u32 (unix seconds) | ufrag 3 B | pwd 15 B | public key 32 B |
//   [invite only: commitment 16 B] | candidate count u8 | candidates |
//   [hard-NAT extension: tag 0x01 | mapping u8 (0 open, 1 sequential, 2 random) | step u8 |
//    last port u16] | checksum 4 B (first bytes of SHA-256 over all before it)
// The extension (issue 17) is there only when this side runs it; a token without it is byte for
// byte what it was before, and the peer then never probes (--no-hard-nat on either side).
// candidate: flags u8 (type bits 0-1, IPv6 bit 2, foundation id bits 3-7) | priority u32 |
//            address 4 or 16 B | port u16
// The commitment is SHA-256(label || N_i) truncated to 16 bytes, N_i being the inviter's secret
// nonce that it reveals only inside the encrypted channel (see handshake.ts and keys.ts for why).
// 16 bytes keep a token with three IPv4 candidates near 180 characters; finding another nonce
// with the same commitment is a second preimage of 128 bits.
//
// A token is also checked for what a peer must never make us do: candidates we cannot or must
// not send to (port 0, the unspecified, multicast or broadcast address, loopback unless
// --loopback) and more than MAX_CANDIDATES candidates are refused when the token is read
// (exit 2), and so is a public key that gives no shared secret (a low-order X25519 point).
import { createHash, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import type { HardNatProfile } from '@p2pcat/ice';
import { Address4, Address6 } from 'ip-address';
import { decodeBase32, encodeBase32 } from './base32.js';
import { ExitCode, UserError } from './exit-codes.js';

export const TOKEN_PREFIX = 'p2pcat2';
const VERSION = 2;
const CHECKSUM_BYTES = 4;
const FIXED_BYTES = 1 + 1 + 4 + 3 + 15 + 32 + 1;
/** Bytes of the inviter's commitment to its secret nonce (invite only). */
export const COMMITMENT_BYTES = 16;
/**
 * At most this many candidates in a token: a machine has a few interfaces, each with a host, a
 * server-reflexive, a mapped and a relayed candidate; more only lengthens the token and the
 * number of checks a peer can make us send.
 */
export const MAX_CANDIDATES = 16;
export const UFRAG_BYTES = 3;
export const PWD_BYTES = 15;

export type TokenKind = 'invite' | 'answer';
export type CandidateType = 'host' | 'srflx' | 'relay' | 'prflx';
const TYPES: CandidateType[] = ['host', 'srflx', 'relay', 'prflx'];

export interface TokenCandidate {
  type: CandidateType;
  address: string;
  port: number;
  priority: number;
  foundation: string;
}

export interface Token {
  kind: TokenKind;
  /** unix seconds after which the token is refused */
  expiresAt: number;
  ufrag: string;
  pwd: string;
  publicKey: Uint8Array;
  /** invite only: SHA-256(label || N_i), first COMMITMENT_BYTES bytes (keys.ts commitTo) */
  commitment?: Uint8Array;
  candidates: TokenCandidate[];
  /** the sender runs the hard-NAT extension, with this NAT profile */
  hardNat?: HardNatProfile;
  /** the exact bytes, for the key-derivation transcript */
  raw: Uint8Array;
}

/** ICE credentials from random bytes: base-32 text is made of ice-chars (RFC 8445 §5.3). */
export function credentialsFromBytes(ufrag: Uint8Array, pwd: Uint8Array): { ufrag: string; pwd: string } {
  return { ufrag: encodeBase32(ufrag), pwd: encodeBase32(pwd) };
}

function damaged(): UserError {
  return new UserError(
    'the token is damaged or incomplete (checksum mismatch): copy the whole line again',
    ExitCode.Usage,
  );
}

function checksum(body: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(TOKEN_PREFIX).update(body).digest().subarray(0, 4));
}

function addressBytes(address: string): Uint8Array {
  if (Address4.isValid(address)) return new Uint8Array(new Address4(address).toArray());
  if (Address6.isValid(address))
    return new Uint8Array(new Address6(address).toUnsignedByteArray().slice(-16));
  throw new Error(`not an IP address: ${address}`);
}

export interface EncodeTokenInput {
  kind: TokenKind;
  expiresAt: number;
  ufragBytes: Uint8Array;
  pwdBytes: Uint8Array;
  publicKey: Uint8Array;
  /** required for an invite, absent from an answer */
  commitment?: Uint8Array;
  candidates: TokenCandidate[];
  hardNat?: HardNatProfile;
}

const HARD_NAT_TAG = 1;
const HARD_NAT_BYTES = 5;
const MAPPINGS: HardNatProfile['mapping'][] = ['open', 'sequential', 'random'];

function encodeHardNat(p: HardNatProfile): Uint8Array {
  const b = new Uint8Array(HARD_NAT_BYTES);
  b[0] = HARD_NAT_TAG;
  b[1] = MAPPINGS.indexOf(p.mapping);
  b[2] = p.mapping === 'sequential' ? (p.step ?? 1) : 0;
  new DataView(b.buffer).setUint16(3, p.mapping === 'sequential' ? (p.lastPort ?? 0) : 0);
  return b;
}

function decodeHardNat(b: Uint8Array): HardNatProfile | undefined {
  if (b.length !== HARD_NAT_BYTES || b[0] !== HARD_NAT_TAG) return undefined;
  const mapping = MAPPINGS[b[1]!];
  if (!mapping) return undefined;
  if (mapping !== 'sequential') return b[2] === 0 ? { mapping } : undefined;
  const step = b[2]!;
  const lastPort = new DataView(b.buffer, b.byteOffset).getUint16(3);
  if (step < 1 || step > 32 || lastPort === 0) return undefined;
  return { mapping, step, lastPort };
}

export function encodeToken(input: EncodeTokenInput): { text: string; raw: Uint8Array } {
  if (input.ufragBytes.length !== UFRAG_BYTES || input.pwdBytes.length !== PWD_BYTES) {
    throw new Error('token credentials have the wrong length');
  }
  if (input.publicKey.length !== 32) throw new Error('public key must be 32 bytes');
  const invite = input.kind === 'invite';
  if (
    invite !== (input.commitment !== undefined) ||
    (invite && input.commitment!.length !== COMMITMENT_BYTES)
  )
    throw new Error('an invite carries a 16-byte commitment, an answer none');
  const foundationIds = new Map<string, number>();
  const parts: Uint8Array[] = [];
  const head = new Uint8Array(FIXED_BYTES);
  const view = new DataView(head.buffer);
  head[0] = VERSION;
  head[1] = input.kind === 'invite' ? 0 : 1;
  view.setUint32(2, input.expiresAt >>> 0);
  head.set(input.ufragBytes, 6);
  head.set(input.pwdBytes, 9);
  head.set(input.publicKey, 24);
  // The most preferred candidates when there are too many (the peer refuses more than MAX_CANDIDATES).
  const candidates = [...input.candidates].sort((a, b) => b.priority - a.priority);
  head[56] = 0;
  parts.push(head.subarray(0, FIXED_BYTES - 1));
  if (input.commitment) parts.push(input.commitment);
  parts.push(head.subarray(FIXED_BYTES - 1));
  let count = 0;
  for (const c of candidates) {
    if (count === MAX_CANDIDATES) break;
    let id = foundationIds.get(c.foundation);
    if (id === undefined) {
      id = foundationIds.size;
      if (id > 31) continue; // at most 32 distinct foundations fit; more would make the token useless anyway
      foundationIds.set(c.foundation, id);
    }
    const addr = addressBytes(c.address);
    const rec = new Uint8Array(1 + 4 + addr.length + 2);
    const rv = new DataView(rec.buffer);
    rec[0] = TYPES.indexOf(c.type) | (addr.length === 16 ? 4 : 0) | (id << 3);
    rv.setUint32(1, c.priority >>> 0);
    rec.set(addr, 5);
    rv.setUint16(5 + addr.length, c.port);
    parts.push(rec);
    count++;
  }
  head[56] = count;
  if (input.hardNat) parts.push(encodeHardNat(input.hardNat));
  const bodyLength = parts.reduce((n, p) => n + p.length, 0);
  const raw = new Uint8Array(bodyLength + CHECKSUM_BYTES);
  let off = 0;
  for (const p of parts) {
    raw.set(p, off);
    off += p.length;
  }
  raw.set(checksum(raw.subarray(0, bodyLength)), bodyLength);
  return { text: TOKEN_PREFIX + encodeBase32(raw), raw };
}

export interface DecodeOptions {
  /** loopback candidates are accepted (--loopback: same-machine tests) */
  allowLoopback?: boolean;
}

/** Why a candidate address:port cannot be used, or undefined when it can. */
export function unusableCandidate(address: string, port: number, allowLoopback: boolean): string | undefined {
  if (port === 0) return 'port 0';
  if (Address4.isValid(address)) {
    const [a, b, c, d] = new Address4(address).toArray() as [number, number, number, number];
    if (a === 0) return 'an unspecified address';
    if (a >= 224 && a <= 239) return 'a multicast address';
    if (a === 255 && b === 255 && c === 255 && d === 255) return 'the broadcast address';
    if (a >= 240) return 'a reserved address';
    if (a === 127 && !allowLoopback) return 'a loopback address (only with --loopback)';
    return undefined;
  }
  const bytes = new Address6(address).toUnsignedByteArray().slice(-16);
  while (bytes.length < 16) bytes.unshift(0);
  const zeroUpTo = (n: number) => bytes.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(16)) return 'an unspecified address';
  if (bytes[0] === 0xff) return 'a multicast address';
  if (zeroUpTo(15) && bytes[15] === 1)
    return allowLoopback ? undefined : 'a loopback address (only with --loopback)';
  // IPv4-mapped (::ffff:a.b.c.d): the same rules as the IPv4 address
  if (zeroUpTo(10) && bytes[10] === 0xff && bytes[11] === 0xff)
    return unusableCandidate(bytes.slice(12).join('.'), port, allowLoopback);
  return undefined;
}

/** A fixed private key: a public key whose shared secret with it is all zeros is a low-order point. */
const PROBE_KEY = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), Buffer.alloc(32, 0x5a)]),
  format: 'der',
  type: 'pkcs8',
});

/** False for a public key that gives no usable shared secret (X25519 low-order points, RFC 7748 §6.1). */
export function usablePublicKey(publicKey: Uint8Array): boolean {
  try {
    const pub = createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), publicKey]),
      format: 'der',
      type: 'spki',
    });
    return !diffieHellman({ privateKey: PROBE_KEY, publicKey: pub }).every((b) => b === 0);
  } catch {
    return false; // OpenSSL refuses an all-zero result itself
  }
}

/**
 * Parses a token as pasted by a person: spaces, line breaks, quotes, hyphens and other
 * punctuation that chat clients add are ignored; letters are case-insensitive.
 */
export function decodeToken(text: string, now: number = Date.now(), options: DecodeOptions = {}): Token {
  const compact = text.replace(/[^0-9A-Za-z]/g, '');
  const lower = compact.toLowerCase();
  if (!lower.startsWith('p2pcat')) {
    throw new UserError('that is not a p2pcat token (a token starts with "p2pcat1")', ExitCode.Usage);
  }
  if (!lower.startsWith(TOKEN_PREFIX)) {
    throw new UserError(
      `this token is from another p2pcat version ("${compact.slice(0, 7)}"): use the same p2pcat version on both sides`,
      ExitCode.Usage,
    );
  }
  const raw = decodeBase32(compact.slice(TOKEN_PREFIX.length));
  if (!raw || raw.length < FIXED_BYTES + CHECKSUM_BYTES) throw damaged();
  // Trailing bits of the last base-32 character may yield one spurious byte: try both lengths.
  let body: Uint8Array | undefined;
  for (const len of [raw.length, raw.length - 1]) {
    if (len < FIXED_BYTES + CHECKSUM_BYTES) continue;
    const b = raw.subarray(0, len - CHECKSUM_BYTES);
    const sum = raw.subarray(len - CHECKSUM_BYTES, len);
    const expected = checksum(b);
    if (expected.every((v, i) => v === sum[i])) {
      body = b;
      break;
    }
  }
  if (!body) throw damaged();
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body[0] !== VERSION) {
    throw new UserError(
      `unsupported token version ${body[0]}: use the same p2pcat version on both sides`,
      ExitCode.Usage,
    );
  }
  const kind: TokenKind = body[1] === 0 ? 'invite' : 'answer';
  if (body[1]! > 1) throw damaged();
  const expiresAt = view.getUint32(2);
  const nowSeconds = Math.floor(now / 1000);
  if (nowSeconds > expiresAt) {
    const minutes = Math.max(1, Math.round((nowSeconds - expiresAt) / 60));
    throw new UserError(
      `this ${kind} expired ${minutes} minute${minutes === 1 ? '' : 's'} ago: ask for a new one`,
      ExitCode.Usage,
    );
  }
  const { ufrag, pwd } = credentialsFromBytes(body.subarray(6, 9), body.subarray(9, 24));
  const publicKey = body.slice(24, 56);
  let off = FIXED_BYTES - 1;
  let commitment: Uint8Array | undefined;
  if (kind === 'invite') {
    if (off + COMMITMENT_BYTES + 1 > body.length) throw damaged();
    commitment = body.slice(off, off + COMMITMENT_BYTES);
    off += COMMITMENT_BYTES;
  }
  const count = body[off]!;
  off += 1;
  if (count > MAX_CANDIDATES) {
    throw new UserError(
      `this ${kind} lists ${count} candidates, more than the ${MAX_CANDIDATES} p2pcat accepts: ask for a new one`,
      ExitCode.Usage,
    );
  }
  if (!usablePublicKey(publicKey)) {
    throw new UserError(`this ${kind} carries an invalid public key: ask for a new one`, ExitCode.Usage);
  }
  const candidates: TokenCandidate[] = [];
  for (let i = 0; i < count; i++) {
    if (off + 1 > body.length) throw damaged();
    const flags = body[off]!;
    const v6 = (flags & 4) !== 0;
    const alen = v6 ? 16 : 4;
    if (off + 1 + 4 + alen + 2 > body.length) throw damaged();
    const priority = view.getUint32(off + 1);
    const addr = body.subarray(off + 5, off + 5 + alen);
    const address = v6
      ? Address6.fromUnsignedByteArray([...addr]).correctForm()
      : Address4.fromUnsignedByteArray([...addr]).correctForm();
    const port = view.getUint16(off + 5 + alen);
    const why = unusableCandidate(address, port, options.allowLoopback ?? false);
    if (why) {
      throw new UserError(
        `this ${kind} lists an unusable candidate ${v6 ? `[${address}]` : address}:${port} (${why}): ask for a new one`,
        ExitCode.Usage,
      );
    }
    candidates.push({ type: TYPES[flags & 3]!, address, port, priority, foundation: String(flags >> 3) });
    off += 1 + 4 + alen + 2;
  }
  let hardNat: HardNatProfile | undefined;
  if (off !== body.length) {
    hardNat = decodeHardNat(body.subarray(off));
    if (!hardNat) throw damaged();
  }
  return {
    kind,
    expiresAt,
    ufrag,
    pwd,
    publicKey,
    ...(commitment ? { commitment } : {}),
    candidates,
    ...(hardNat ? { hardNat } : {}),
    raw: raw.subarray(0, body.length + CHECKSUM_BYTES),
  };
}
