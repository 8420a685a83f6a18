// The handshake on the encrypted stream before the session: the inviter reveals its nonce N_i,
// the joiner checks it against the invite's commitment, both derive the verification code, each
// side passes its own gate (a person confirming the code, or nothing), and says READY. The
// session (session.ts) starts only when READY was both sent and received, so no data flows before
// both gates are passed.
//
// Why this order (the attack analysis is in keys.ts and README "Security model"): the answer is
// fixed before N_i leaves the inviter, and N_i is committed to in the invite before the answer
// exists, so nobody who relays the tokens can steer the two codes to the same value; each try
// needs a new session and succeeds with probability 10^-8.
//
// Messages: records of records.ts (length u32 | ChaCha20-Poly1305(type u8 | payload) | tag)
// sealed with handshake keys of their own (HKDF info "p2pcat v2 handshake keys"), so the session's
// record keys and counters start untouched. Types:
//   NONCE   1  inviter -> joiner, payload N_i (32 bytes), first thing
//   READY   2  both, after that side's gate
//   REFUSED 3  both, payload one reason byte: 1 the person said the codes differ, 2 the nonce does
//              not match the invite's commitment, 3 someone else answered the invite
// Bytes of the peer's first session records that arrive with its READY are given back to the
// stream (unshift) for the session to read.
import type { Duplex } from 'node:stream';
import { ExitCode, UserError } from './exit-codes.js';
import { commitTo, type HandshakeKeys, NONCE_BYTES, verificationCodeFrom } from './keys.js';
import { IntegrityError, RecordOpener, RecordSealer } from './records.js';

export const HandshakeType = { Nonce: 1, Ready: 2, Refused: 3 } as const;
export const RefusedReason = { CodeMismatch: 1, Commitment: 2, Taken: 3 } as const;
/** A handshake record is tiny: a length field beyond this is an attack or garbage. */
const MAX_FRAME = 4 + 1 + NONCE_BYTES + 16;

export interface HandshakeOptions {
  stream: Duplex;
  role: 'inviter' | 'joiner';
  keys: HandshakeKeys;
  /** inviter: its secret nonce N_i */
  nonce?: Uint8Array;
  /** joiner: the invite's commitment */
  commitment?: Uint8Array;
  /**
   * This side's gate, called once the code is known: resolves true to go on, false when the
   * person says the codes differ. `signal` aborts when the handshake ends otherwise (the peer
   * refused or left): stop asking then.
   */
  gate: (code: string, signal: AbortSignal) => Promise<boolean>;
  /** called with the code as soon as it is known (before the gate) */
  onCode?: (code: string) => void;
  /** called once when our READY went out and the peer's has not come within a second (its person is asked) */
  onWaitingForPeer?: () => void;
  /** aborting stops the handshake with the signal's reason when it is a UserError, else exit 130 */
  signal?: AbortSignal;
  /** ms for the peer's NONCE to arrive (the peer's gate may take as long as its person needs) */
  nonceTimeoutMs?: number;
}

export interface HandshakeResult {
  verificationCode: string;
}

function refusedError(reason: number, bySelf: boolean, role: 'inviter' | 'joiner'): UserError {
  if (reason === RefusedReason.Commitment)
    return new UserError(
      bySelf
        ? "verification failed: the inviter's secret does not match the commitment in its invite; the tokens were altered on their way (someone in the chat?); nothing was sent"
        : "verification failed: the other side says this side's secret does not match the invite it got; the tokens were altered on their way (someone in the chat?); nothing was sent",
      ExitCode.IntegrityFailure,
    );
  if (reason === RefusedReason.Taken && role === 'inviter')
    return new UserError(
      'the other side stopped: it was told that someone else answered your invite; nothing was sent; make a new invite',
      ExitCode.IntegrityFailure,
    );
  if (reason === RefusedReason.Taken)
    return new UserError(
      'someone else answered this invite first: the inviter stopped; nothing was sent; ask for a new invite',
      ExitCode.IntegrityFailure,
    );
  return new UserError(
    bySelf
      ? 'the verification codes differ: someone may be in the middle; nothing was sent; make a new invite over another channel'
      : 'the other side says the verification codes differ: someone may be in the middle; nothing was sent; make a new invite over another channel',
    ExitCode.IntegrityFailure,
  );
}

/** Splits stream bytes into whole handshake records; what follows the last one wanted stays. */
class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly opener: RecordOpener;
  constructor(key: Uint8Array) {
    this.opener = new RecordOpener(key);
  }
  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
  }
  /** The next record, or undefined until one is whole. Throws IntegrityError. */
  next(): { type: number; payload: Buffer } | undefined {
    if (this.buf.length < 4) return undefined;
    const length = this.buf.readUInt32BE(0);
    if (length < 17 || 4 + length > MAX_FRAME) throw new IntegrityError();
    if (this.buf.length < 4 + length) return undefined;
    const frame = this.buf.subarray(0, 4 + length);
    this.buf = this.buf.subarray(4 + length);
    const [rec] = this.opener.push(frame);
    if (!rec) throw new IntegrityError();
    return rec;
  }
  rest(): Buffer {
    return this.buf;
  }
}

/**
 * Runs the handshake on `stream`; resolves with the verification code once both sides are READY.
 * Throws UserError: 5 on a commitment mismatch or refused code (the peer is told), 4 when the
 * stream closes, the abort signal's reason (or 130) when aborted.
 */
export async function runHandshake(opts: HandshakeOptions): Promise<HandshakeResult> {
  const { stream, role } = opts;
  const sealer = new RecordSealer(opts.keys.sendKey);
  const reader = new FrameReader(opts.keys.receiveKey);
  const gateStop = new AbortController();
  const send = (type: number, payload?: Uint8Array) => {
    if (!stream.destroyed && !stream.writableEnded) stream.write(sealer.seal(type, payload));
  };

  let code: string | undefined;
  let peerReady = false;
  let sentReady = false;
  let settled = false;
  let waitNote: ReturnType<typeof setTimeout> | undefined;
  let resolveDone!: (r: HandshakeResult) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<HandshakeResult>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });

  const fail = (e: UserError, tell?: number) => {
    if (settled) return;
    if (tell !== undefined) send(HandshakeType.Refused, Uint8Array.of(tell));
    finish();
    rejectDone(e);
  };
  const maybeDone = () => {
    if (settled || !peerReady || !sentReady || code === undefined) return;
    finish();
    giveBack();
    resolveDone({ verificationCode: code });
  };

  const startGate = (c: string) => {
    code = c;
    opts.onCode?.(c);
    opts.gate(c, gateStop.signal).then(
      (ok) => {
        if (settled) return;
        if (!ok)
          return fail(refusedError(RefusedReason.CodeMismatch, true, role), RefusedReason.CodeMismatch);
        sentReady = true;
        send(HandshakeType.Ready);
        maybeDone();
        if (!settled && opts.onWaitingForPeer) {
          waitNote = setTimeout(() => {
            if (!settled) opts.onWaitingForPeer?.();
          }, 1000);
        }
      },
      (e) => fail(e instanceof UserError ? e : new UserError(String(e), ExitCode.TransferError)),
    );
  };

  const onRecord = (rec: { type: number; payload: Buffer }) => {
    if (rec.type === HandshakeType.Refused) {
      const reason = rec.payload[0] ?? 0;
      return fail(refusedError(reason, false, role));
    }
    if (rec.type === HandshakeType.Nonce && role === 'joiner' && code === undefined) {
      if (rec.payload.length !== NONCE_BYTES) throw new IntegrityError();
      const expected = opts.commitment;
      const got = commitTo(rec.payload);
      if (!expected || !got.every((b, i) => b === expected[i]))
        return fail(refusedError(RefusedReason.Commitment, true, role), RefusedReason.Commitment);
      clearTimeout(nonceTimer);
      startGate(verificationCodeFrom(opts.keys.codeKey, rec.payload));
      return;
    }
    if (rec.type === HandshakeType.Ready && !peerReady && code !== undefined) {
      peerReady = true;
      return maybeDone();
    }
    throw new IntegrityError(); // anything else, or out of order
  };

  // One chunk at a time: once settled, the rest of this chunk is given back (finish) and what the
  // stream still buffers stays there, behind it.
  const onReadable = () => {
    while (!settled) {
      const chunk = stream.read() as Buffer | null;
      if (chunk === null) return;
      reader.push(chunk);
      parse();
    }
  };
  const parse = () => {
    try {
      for (;;) {
        if (peerReady && sentReady) break; // what follows is the session's: kept for unshift
        const rec = reader.next();
        if (!rec) break;
        onRecord(rec);
        if (settled) break;
      }
    } catch (e) {
      fail(e instanceof UserError ? e : new IntegrityError());
    }
  };
  const onClose = () =>
    fail(new UserError('the connection to the peer was lost during the handshake', ExitCode.PeerAborted));
  const onError = (e: Error) =>
    fail(
      new UserError(
        `the connection to the peer failed during the handshake: ${e.message}`,
        ExitCode.PeerAborted,
      ),
    );
  const onAbort = () => {
    const reason: unknown = opts.signal?.reason;
    if (reason instanceof UserError && reason.exitCode === ExitCode.IntegrityFailure)
      fail(reason, RefusedReason.Taken);
    else fail(reason instanceof UserError ? reason : new UserError('interrupted', ExitCode.Interrupted));
  };
  const nonceTimer =
    role === 'joiner'
      ? setTimeout(
          () =>
            fail(
              new UserError(
                'the inviter did not start the handshake in time (another p2pcat version?)',
                ExitCode.NoConnection,
              ),
            ),
          opts.nonceTimeoutMs ?? 30_000,
        )
      : undefined;

  function finish() {
    settled = true;
    clearTimeout(nonceTimer);
    clearTimeout(waitNote);
    gateStop.abort();
    stream.off('end', onClose);
    stream.off('close', onClose);
    stream.off('error', onError);
    opts.signal?.removeEventListener('abort', onAbort);
    stream.off('readable', onReadable);
  }
  // Without a 'readable' listener the stream is back in its initial state (neither flowing nor
  // paused): whoever reads next (the session) gets the bytes given back first.
  let givenBack = false;
  function giveBack() {
    if (givenBack) return;
    givenBack = true;
    const rest = reader.rest();
    if (rest.length > 0 && !stream.destroyed && !stream.readableEnded) stream.unshift(rest);
  }

  stream.on('readable', onReadable);
  stream.once('end', onClose);
  stream.once('close', onClose);
  stream.on('error', onError);
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (role === 'inviter' && !settled) {
    const nonce = opts.nonce;
    if (!nonce || nonce.length !== NONCE_BYTES) throw new Error('the inviter needs its 32-byte nonce');
    send(HandshakeType.Nonce, nonce);
    startGate(verificationCodeFrom(opts.keys.codeKey, nonce));
  }
  return done;
}
