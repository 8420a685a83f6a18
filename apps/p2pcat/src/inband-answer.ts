// The joiner's answer, carried in-band on the first path its checks found, so that the connection
// comes up before a human has pasted the answer when the inviter's NAT lets the joiner's checks in
// (no NAT, a full-cone NAT, a port mapping). The pasted answer stays the way that always works.
//
// Datagram: MAGIC | answer token text (ASCII) | tag. The tag is HMAC-SHA256 keyed with the ICE
// password of the invite, truncated to 16 bytes: only someone who holds the invite (the very
// capability the pasted answer relies on) can make one that the inviter accepts, and an on-path
// attacker who sees only packets cannot substitute their own key for the joiner's.
// The first byte (0x70, 'p') is outside STUN, ChannelData and pseudo-TCP conversation bytes
// (RFC 7983 ranges), so the datagram never reaches the ICE agent's demultiplexer by mistake.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const MAGIC = Buffer.from('p2pcat-answer1:', 'ascii');
const TAG_BYTES = 16;
const MAX_TEXT = 1000;
const LABEL = 'p2pcat in-band answer v1';

function tag(invitePwd: string, text: Buffer): Buffer {
  return createHmac('sha256', Buffer.from(invitePwd, 'utf8'))
    .update(LABEL)
    .update(text)
    .digest()
    .subarray(0, TAG_BYTES);
}

/** Builds the datagram that carries `answerText` to the inviter whose ICE password is `invitePwd`. */
export function sealInbandAnswer(answerText: string, invitePwd: string): Uint8Array {
  const text = Buffer.from(answerText, 'ascii');
  return Buffer.concat([MAGIC, text, tag(invitePwd, text)]);
}

/** True when the datagram is meant as an in-band answer (whether authentic or not). */
export function isInbandAnswer(data: Uint8Array): boolean {
  return data.length > MAGIC.length && Buffer.from(data.buffer, data.byteOffset, MAGIC.length).equals(MAGIC);
}

/** The answer text when the datagram is an authentic in-band answer for our invite, else undefined. */
export function openInbandAnswer(data: Uint8Array, invitePwd: string): string | undefined {
  if (!isInbandAnswer(data)) return undefined;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const textLen = buf.length - MAGIC.length - TAG_BYTES;
  if (textLen <= 0 || textLen > MAX_TEXT) return undefined;
  const text = buf.subarray(MAGIC.length, MAGIC.length + textLen);
  const got = buf.subarray(MAGIC.length + textLen);
  if (!timingSafeEqual(got, tag(invitePwd, text))) return undefined;
  return text.toString('ascii');
}

// "Someone else answered this invite": when a second, different authentic answer reaches an
// inviter, it stops and tells each answering side with this datagram, sent to every candidate of
// that answer. Datagram: TAKEN_MAGIC | tag, the tag being HMAC-SHA256 keyed with the ICE password
// of that answer over a label and SHA-256 of the answer's bytes, truncated to 16 bytes: only
// someone who holds that answer can make it, so a reader of the invite alone cannot stop the real
// joiner with a forged one (what it could always do is send its own answer, which is exactly the
// conflict this reports).
const TAKEN_MAGIC = Buffer.from('p2pcat-taken1:', 'ascii');
const TAKEN_LABEL = 'p2pcat invite taken v1';

function takenTag(answerRaw: Uint8Array, answerPwd: string): Buffer {
  return createHmac('sha256', Buffer.from(answerPwd, 'utf8'))
    .update(TAKEN_LABEL)
    .update(createHash('sha256').update(answerRaw).digest())
    .digest()
    .subarray(0, TAG_BYTES);
}

/** The notice for the holder of the answer whose bytes are `answerRaw` and ICE password `answerPwd`. */
export function sealTakenNotice(answerRaw: Uint8Array, answerPwd: string): Uint8Array {
  return Buffer.concat([TAKEN_MAGIC, takenTag(answerRaw, answerPwd)]);
}

/** True when the datagram is meant as a taken notice (whether authentic or not). */
export function isTakenNotice(data: Uint8Array): boolean {
  return (
    data.length >= TAKEN_MAGIC.length &&
    Buffer.from(data.buffer, data.byteOffset, TAKEN_MAGIC.length).equals(TAKEN_MAGIC)
  );
}

/** True when the datagram is an authentic taken notice for our answer. */
export function openTakenNotice(data: Uint8Array, answerRaw: Uint8Array, answerPwd: string): boolean {
  if (!isTakenNotice(data) || data.length !== TAKEN_MAGIC.length + TAG_BYTES) return false;
  const got = Buffer.from(data.buffer, data.byteOffset + TAKEN_MAGIC.length, TAG_BYTES);
  return timingSafeEqual(got, takenTag(answerRaw, answerPwd));
}
