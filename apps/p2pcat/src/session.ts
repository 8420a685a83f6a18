// One p2pcat session over a reliable byte stream (pseudo-TCP on the ICE pair, or anything else in
// tests): sends our side's content, receives the peer's, all inside authenticated records.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Duplex, Readable, Writable } from 'node:stream';
import { escapeForTerminal } from './escape.js';
import { ExitCode, UserError } from './exit-codes.js';
import { FilesReceiver, formatBytes, type Offer } from './files-receiver.js';
import { listEntries } from './files-sender.js';
import type { SessionKeys } from './keys.js';
import { recordBytes } from './memory.js';
import { decodeJson, encodeJson, type Hello, isAbort, isEntry, isHello, RecordType } from './messages.js';
import { MAX_RECORD_PAYLOAD, RecordOpener, RecordSealer } from './records.js';

export type SendSpec =
  | { kind: 'pipe'; input: Readable; inputIsTty: boolean }
  | { kind: 'files'; paths: string[] };

export interface SessionProgress {
  bytesSent: number;
  bytesReceived: number;
  totalToSend?: number;
  totalToReceive?: number;
}

export interface SessionOptions {
  stream: Duplex;
  /**
   * The stream copies each written chunk before its write callback (a PseudoTcpStream does: the
   * bytes go into its send buffer), so a record's memory may be reused after that callback. Not
   * so for an in-memory pair that hands the very chunk to the other side. Default false.
   */
  streamCopiesWrites?: boolean;
  keys: SessionKeys;
  send: SendSpec;
  /** where pipe data from the peer goes */
  output: Writable;
  outDir: string;
  force: boolean;
  /** accept the files the peer offers without asking (--yes); they are still listed */
  yes?: boolean;
  /** accept received names with a leading dot (--allow-hidden) */
  allowHidden?: boolean;
  /** ms without any record from the peer before the session ends, exit 4 (default 300 s) */
  idleTimeoutMs?: number;
  /** ms without any record from us after which we send a PING (default 30 s) */
  keepaliveMs?: number;
  /**
   * Asks the person whether to accept the offered files: the offer's lines (the peer's names
   * already escaped) and a question. Resolves to the answer, or undefined when there is no
   * terminal to ask (then the offer is refused unless `yes`). Absent: no terminal.
   */
  ask?: (lines: string[], question: string) => Promise<boolean | undefined>;
  /** lines the user should see: the offer when `yes` accepted it without asking */
  notice?: (line: string) => void;
  onProgress?: (p: SessionProgress) => void;
  log?: (line: string) => void;
  /** Ctrl-C: the peer is told (ABORT), temporary files are removed, exit 130 */
  signal?: AbortSignal;
}

export interface SessionResult {
  bytesSent: number;
  bytesReceived: number;
  filesReceived: string[];
  peerMode: Hello['mode'] | undefined;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
export const KEEPALIVE_MS = 30_000;
/** Names listed in an offer; the rest is counted ("and 12 more"). */
export const OFFER_NAMES_SHOWN = 10;

/** The peer broke the record protocol (README: exit 5). */
const protocolError = (what: string) =>
  new UserError(`protocol error: ${what}; the session was ended`, ExitCode.IntegrityFailure);

/** The peer sent nothing for --idle-timeout: exit 4, and the peer (perhaps only stalled) is told. */
class PeerSilent extends UserError {}

/** A failure whose ABORT reason for the peer is not our own message. */
class Declined extends UserError {
  readonly abortReason = 'the receiver declined';
}

/** The lines that show an offer: what, how much, and the first names (escaped). */
export function describeOffer(offer: Offer): string[] {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const dirs = offer.directories ? ` and ${plural(offer.directories, 'directory', 'directories')}` : '';
  const lines = [
    `The peer offers ${plural(offer.files, 'file', 'files')}${dirs}, ${formatBytes(offer.totalBytes)} in all:`,
  ];
  for (const p of offer.paths.slice(0, OFFER_NAMES_SHOWN)) lines.push(`  ${escapeForTerminal(p)}`);
  if (offer.paths.length > OFFER_NAMES_SHOWN)
    lines.push(`  and ${offer.paths.length - OFFER_NAMES_SHOWN} more`);
  return lines;
}

export async function runSession(opts: SessionOptions): Promise<SessionResult> {
  const { stream } = opts;
  const sealer = new RecordSealer(opts.keys.sendKey);
  const opener = new RecordOpener(opts.keys.receiveKey);
  const receiver = new FilesReceiver({
    outDir: opts.outDir,
    force: opts.force,
    allowHidden: opts.allowHidden ?? false,
  });
  const progress: SessionProgress = { bytesSent: 0, bytesReceived: 0 };
  const report = () => opts.onProgress?.({ ...progress });
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const keepaliveMs = opts.keepaliveMs ?? KEEPALIVE_MS;
  let peerMode: Hello['mode'] | undefined;
  let sentEof = false;
  let peerEof = false;
  let sentBye = false;
  let peerBye = false;
  /** set on failure: nothing more is sent or handled */
  let halted = false;
  let stopInput: (() => void) | undefined;
  let stopReceiving = () => {};

  // Failures from outside the record flow (Ctrl-C, a silent peer) end the session through this.
  let fail: (e: UserError) => void = () => {};
  const failure = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failure.catch(() => {});

  let streamClosed = false;
  const closedWaiters = new Set<(e: Error) => void>();
  const lost = () => new UserError('the connection to the peer was lost', ExitCode.PeerAborted);
  const onGone = () => {
    streamClosed = true;
    for (const w of closedWaiters) w(lost());
  };
  stream.once('close', onGone);

  let lastSent = Date.now();
  const write = async (type: number, payload?: Uint8Array): Promise<void> => {
    if (halted) throw new UserError('the session was ended', ExitCode.TransferError);
    if (streamClosed) throw lost();
    // The record's memory is reused once the stream took its bytes (the write's callback).
    const reuse = opts.streamCopiesWrites === true;
    const rec = sealer.seal(type, payload, reuse);
    recordBytes(rec.length);
    lastSent = Date.now();
    if (!stream.write(rec, reuse ? () => sealer.release(rec) : undefined)) {
      await new Promise<void>((res, rej) => {
        const done = () => {
          closedWaiters.delete(rej);
          stream.off('drain', done);
          res();
        };
        closedWaiters.add(rej);
        stream.once('drain', done);
      });
    }
  };

  // Silence: a record from the peer at least every idleTimeoutMs (its PINGs see to that while
  // it has nothing to say). Not counted while we are busy with a record or asking the person.
  let lastHeard = Date.now();
  let handlingRecord = false;
  let asking = false;
  const idleTimer = setInterval(
    () => {
      if (handlingRecord || asking || halted) return;
      if (Date.now() - lastHeard >= idleTimeoutMs)
        fail(
          new PeerSilent(
            `the peer sent nothing for ${Math.round(idleTimeoutMs / 1000)} s (--idle-timeout): the session was ended`,
            ExitCode.PeerAborted,
          ),
        );
    },
    Math.max(10, Math.min(1000, idleTimeoutMs / 4)),
  );
  const keepaliveTimer = setInterval(
    () => {
      if (halted || sentBye || streamClosed || Date.now() - lastSent < keepaliveMs) return;
      write(RecordType.Ping).catch(() => {});
    },
    Math.max(10, keepaliveMs / 3),
  );
  const stopTimers = () => {
    clearInterval(idleTimer);
    clearInterval(keepaliveTimer);
  };

  const maybeBye = async () => {
    if (sentEof && peerEof && !sentBye) {
      sentBye = true;
      await write(RecordType.Bye);
    }
  };

  const sendEof = async () => {
    if (sentEof) return;
    sentEof = true;
    await write(RecordType.Eof);
    await maybeBye();
  };

  const sendPipe = (input: Readable, isTty: boolean) =>
    new Promise<void>((resolve, reject) => {
      let finished = false;
      const finish = (err?: unknown) => {
        if (finished) return;
        finished = true;
        input.off('data', onData);
        input.off('end', onEnd);
        input.off('error', onError);
        if (isTty) input.pause();
        if (err) reject(err);
        else sendEof().then(resolve, reject);
      };
      // Writes are chained so that 'end' (which a paused stream may still emit) never overtakes them.
      let chain = Promise.resolve();
      const onData = (chunk: Buffer | string) => {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        input.pause();
        chain = chain
          .then(async () => {
            for (let off = 0; off < buf.length && !finished; off += MAX_RECORD_PAYLOAD) {
              const part = buf.subarray(off, off + MAX_RECORD_PAYLOAD);
              await write(RecordType.Data, part);
              progress.bytesSent += part.length;
            }
            report();
            if (!finished) input.resume();
          })
          .catch(finish);
      };
      const onEnd = () => {
        chain = chain.then(() => finish());
      };
      const onError = (e: Error) =>
        finish(new UserError(`cannot read standard input: ${e.message}`, ExitCode.TransferError));
      stopInput = () => {
        chain = chain.then(() => finish());
      };
      input.on('data', onData);
      input.once('end', onEnd);
      input.once('error', onError);
      input.resume();
    });

  const sendFiles = async (paths: string[]) => {
    const entries = await listEntries(paths, (l) => opts.log?.(l));
    progress.totalToSend = entries.reduce((n, e) => n + e.size, 0);
    for (const e of entries)
      await write(RecordType.Entry, encodeJson({ path: e.path, type: e.type, size: e.size }));
    await write(RecordType.EntriesEnd);
    for (const e of entries) {
      if (e.type !== 'file') continue;
      const hash = createHash('sha256');
      let sent = 0;
      for await (const chunk of createReadStream(e.source, { highWaterMark: MAX_RECORD_PAYLOAD })) {
        const buf = chunk as Buffer;
        if (sent + buf.length > e.size)
          throw new UserError(`${e.source} grew while being sent: send it again`, ExitCode.TransferError);
        hash.update(buf);
        await write(RecordType.FileData, buf);
        sent += buf.length;
        progress.bytesSent += buf.length;
        report();
      }
      if (sent !== e.size)
        throw new UserError(`${e.source} shrank while being sent: send it again`, ExitCode.TransferError);
      await write(RecordType.FileEnd, hash.digest());
      opts.log?.(`sent ${e.path}`);
    }
    await sendEof();
  };

  const outputWrite = (data: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      if (opts.output.write(data)) resolve();
      else {
        opts.output.once('drain', resolve);
        opts.output.once('error', reject);
      }
    });

  /** Content of `mode` is only accepted from a peer that declared it, before its EOF. */
  const expectContent = (mode: Hello['mode']) => {
    if (peerMode === undefined) throw protocolError('the peer sent content before its greeting');
    if (peerEof) throw protocolError('the peer sent content after its end of data');
    if (peerMode !== mode)
      throw protocolError(
        mode === 'files'
          ? 'the peer announced a pipe but sent files; nothing was written'
          : 'the peer announced files but sent pipe data',
      );
  };

  /** The peer's list is complete: show it, ask (or --yes), and only then create anything. */
  const offered = async () => {
    const offer = await receiver.entriesEnd();
    progress.totalToReceive = receiver.totalBytes;
    const lines = describeOffer(offer);
    if (offer.paths.length === 0) {
      // nothing to write, nothing to ask
    } else if (opts.yes) {
      for (const l of lines) opts.notice?.(l);
    } else {
      asking = true;
      let answer: boolean | undefined;
      try {
        answer = await opts.ask?.(lines, `Accept and write them into ${escapeForTerminal(opts.outDir)}?`);
      } finally {
        asking = false;
        lastHeard = Date.now();
      }
      if (answer === undefined)
        throw new Declined(
          `the peer offers ${offer.files} file(s), ${formatBytes(offer.totalBytes)}, and there is no terminal to ask: run with --yes to accept them; nothing was written`,
          ExitCode.TransferError,
        );
      if (!answer) throw new Declined('you declined the files: nothing was written', ExitCode.TransferError);
    }
    if (halted) return;
    await receiver.accept();
  };

  const handle = async (type: number, payload: Buffer): Promise<void> => {
    if (type !== RecordType.Hello && type !== RecordType.Abort && peerMode === undefined)
      throw protocolError('the peer sent a record before its greeting');
    switch (type) {
      case RecordType.Hello: {
        if (peerMode !== undefined) throw protocolError('the peer greeted twice');
        const mode = decodeJson(payload, isHello, 'greeting').mode;
        if (mode === 'files' && opts.send.kind === 'files')
          throw protocolError(
            'the peer offers files, but a side that sends files (--send) receives none: refused, nothing was written',
          );
        peerMode = mode;
        // Someone sending us files while we sit at a terminal: nothing to type, we only receive.
        if (peerMode === 'files' && opts.send.kind === 'pipe' && opts.send.inputIsTty) stopInput?.();
        return;
      }
      case RecordType.Data:
        expectContent('pipe');
        progress.bytesReceived += payload.length;
        report();
        return outputWrite(payload);
      case RecordType.Entry:
        expectContent('files');
        receiver.addEntry(decodeJson(payload, isEntry, 'file entry'));
        return;
      case RecordType.EntriesEnd:
        expectContent('files');
        return offered();
      case RecordType.FileData:
        expectContent('files');
        await receiver.fileData(payload);
        progress.bytesReceived += payload.length;
        report();
        return;
      case RecordType.FileEnd: {
        expectContent('files');
        const path = await receiver.fileEnd(payload);
        opts.log?.(`received ${escapeForTerminal(path)}`);
        return;
      }
      case RecordType.Eof:
        if (peerEof) throw protocolError('the peer ended its data twice');
        if (peerMode === 'files' && !receiver.complete)
          throw protocolError('the peer ended before sending every file it announced');
        peerEof = true;
        if (peerMode !== 'files') await new Promise<void>((r) => opts.output.end(r));
        if (opts.send.kind === 'pipe' && opts.send.inputIsTty) stopInput?.();
        await maybeBye();
        return;
      case RecordType.Bye:
        // The peer's BYE says it read all we sent: it can only follow its EOF and ours.
        if (!peerEof || !sentEof) throw protocolError('the peer said goodbye before the end of the data');
        peerBye = true;
        return;
      case RecordType.Ping:
        return;
      case RecordType.Abort: {
        const reason = decodeJson(payload, isAbort, 'abort').reason.slice(0, 300);
        throw new UserError(`the peer aborted: ${escapeForTerminal(reason)}`, ExitCode.PeerAborted);
      }
      default:
        throw new UserError(
          `the peer sent an unknown record type ${type}: update p2pcat on both sides`,
          ExitCode.TransferError,
        );
    }
  };

  // Chunks are taken as 'data' events, one at a time (the stream is paused while a chunk's records
  // are handled): an async iterator would read() whatever is buffered, and read() concatenates
  // the buffered chunks into one new buffer, a copy of the whole transfer.
  const receive = () =>
    new Promise<void>((resolve, reject) => {
      const queue: Buffer[] = [];
      let handling = false;
      let ended = false;
      let settled = false;
      const settle = (err?: unknown) => {
        if (settled) return;
        settled = true;
        queue.length = 0;
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.off('close', onClose);
        // onError stays: an error after this (a write after the end we sent on failure) is moot.
        stream.pause();
        if (err !== undefined) reject(err);
        else resolve();
      };
      // On failure the loop stops before anything is cleaned up: no record is handled after this.
      stopReceiving = () => settle(new UserError('the session was ended', ExitCode.TransferError));
      // The transport ended (FIN) or broke (RST, close) without the peer's authenticated BYE: the
      // end of the data is not proven, so this is never a success.
      const atEnd = () => {
        if (sentBye && peerBye) return settle();
        if (opener.buffered > 0 || !peerEof)
          return settle(
            new UserError(
              'the peer closed the connection before the authenticated end of its data: the transfer is incomplete',
              ExitCode.PeerAborted,
            ),
          );
        settle(
          new UserError(
            'the peer closed the connection without confirming that it received everything: the transfer is not proven complete',
            ExitCode.PeerAborted,
          ),
        );
      };
      const pump = async () => {
        handling = true;
        try {
          for (let chunk = queue.shift(); chunk !== undefined; chunk = queue.shift()) {
            recordBytes(chunk.length);
            for (const record of opener.push(chunk)) {
              if (settled) return;
              lastHeard = Date.now();
              handlingRecord = true;
              try {
                await handle(record.type, record.payload);
              } finally {
                handlingRecord = false;
                lastHeard = Date.now();
              }
              if (sentBye && peerBye) return settle();
            }
            if (settled) return;
          }
        } catch (e) {
          return settle(e);
        } finally {
          handling = false;
        }
        if (ended) atEnd();
        else stream.resume();
      };
      const onData = (chunk: Buffer) => {
        queue.push(chunk);
        if (handling) return;
        stream.pause();
        void pump();
      };
      const onEnd = () => {
        ended = true;
        if (!handling) atEnd();
      };
      const onError = (e: Error) =>
        settle(new UserError(`the connection to the peer failed: ${e.message}`, ExitCode.PeerAborted));
      const onClose = () => {
        // Destroyed before its end (a reset, an abort).
        if (!ended && !handling)
          settle(
            new UserError(
              'the connection to the peer was lost before the transfer finished',
              ExitCode.PeerAborted,
            ),
          );
        else if (!ended) ended = true; // the loop sees it when the record in hand is done
      };
      stream.on('data', onData);
      stream.once('end', onEnd);
      stream.on('error', onError);
      stream.once('close', onClose);
      stream.resume();
    });

  const onAbort = () => fail(new UserError('interrupted', ExitCode.Interrupted));
  try {
    await write(RecordType.Hello, encodeJson({ version: 1, mode: opts.send.kind } satisfies Hello));
    const sending =
      opts.send.kind === 'pipe'
        ? sendPipe(opts.send.input, opts.send.inputIsTty)
        : sendFiles(opts.send.paths);
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    await Promise.race([Promise.all([sending, receive()]), failure]);
  } catch (e) {
    // First stop: no record is handled, nothing is sent, no input is read ...
    halted = true;
    stopTimers();
    stopReceiving();
    stopInput?.();
    if (
      !streamClosed &&
      !(e instanceof UserError && e.exitCode === ExitCode.PeerAborted && !(e instanceof PeerSilent))
    ) {
      const reason =
        e instanceof Declined
          ? e.abortReason
          : e instanceof UserError && e.exitCode === ExitCode.Interrupted
            ? 'the other side interrupted the transfer'
            : e instanceof Error
              ? e.message
              : String(e);
      try {
        stream.write(sealer.seal(RecordType.Abort, encodeJson({ reason })));
      } catch {}
    }
    stream.end();
    // ... then clean up: the write in flight finishes, temporary files and new directories go.
    await receiver.cleanup();
    throw e instanceof UserError
      ? e
      : new UserError(e instanceof Error ? e.message : String(e), ExitCode.TransferError);
  } finally {
    stopTimers();
    opts.signal?.removeEventListener('abort', onAbort);
    stream.off('close', onGone);
  }
  return {
    bytesSent: progress.bytesSent,
    bytesReceived: progress.bytesReceived,
    filesReceived: receiver.received,
    peerMode,
  };
}
