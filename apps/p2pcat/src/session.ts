// One p2pcat session over a reliable byte stream (pseudo-TCP on the ICE pair, or anything else in
// tests): sends our side's content, receives the peer's, all inside authenticated records.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Duplex, Readable, Writable } from 'node:stream';
import { ExitCode, UserError } from './exit-codes.js';
import { FilesReceiver } from './files-receiver.js';
import { listEntries } from './files-sender.js';
import type { SessionKeys } from './keys.js';
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
  keys: SessionKeys;
  send: SendSpec;
  /** where pipe data from the peer goes */
  output: Writable;
  outDir: string;
  force: boolean;
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

export async function runSession(opts: SessionOptions): Promise<SessionResult> {
  const { stream } = opts;
  const sealer = new RecordSealer(opts.keys.sendKey);
  const opener = new RecordOpener(opts.keys.receiveKey);
  const receiver = new FilesReceiver(opts.outDir, opts.force);
  const progress: SessionProgress = { bytesSent: 0, bytesReceived: 0 };
  const report = () => opts.onProgress?.({ ...progress });
  let peerMode: Hello['mode'] | undefined;
  let sentEof = false;
  let peerEof = false;
  let sentBye = false;
  let peerBye = false;
  let stopInput: (() => void) | undefined;

  let streamClosed = false;
  const closedWaiters = new Set<(e: Error) => void>();
  const onGone = () => {
    streamClosed = true;
    for (const w of closedWaiters)
      w(new UserError('the connection to the peer was lost', ExitCode.PeerAborted));
  };
  stream.once('close', onGone);

  const write = async (type: number, payload?: Uint8Array): Promise<void> => {
    if (streamClosed) throw new UserError('the connection to the peer was lost', ExitCode.PeerAborted);
    const rec = sealer.seal(type, payload);
    if (!stream.write(rec)) {
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
      const onError = (e: Error) => finish(new UserError(`cannot read standard input: ${e.message}`, 1));
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
          throw new UserError(`${e.source} grew while being sent: send it again`, 1);
        hash.update(buf);
        await write(RecordType.FileData, buf);
        sent += buf.length;
        progress.bytesSent += buf.length;
        report();
      }
      if (sent !== e.size) throw new UserError(`${e.source} shrank while being sent: send it again`, 1);
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

  const handle = async (type: number, payload: Buffer): Promise<void> => {
    switch (type) {
      case RecordType.Hello:
        peerMode = decodeJson(payload, isHello, 'greeting').mode;
        // Someone sending us files while we sit at a terminal: nothing to type, we only receive.
        if (peerMode === 'files' && opts.send.kind === 'pipe' && opts.send.inputIsTty) stopInput?.();
        return;
      case RecordType.Data:
        progress.bytesReceived += payload.length;
        report();
        return outputWrite(payload);
      case RecordType.Entry:
        receiver.addEntry(decodeJson(payload, isEntry, 'file entry'));
        return;
      case RecordType.EntriesEnd:
        await receiver.entriesEnd();
        progress.totalToReceive = receiver.totalBytes;
        return;
      case RecordType.FileData:
        await receiver.fileData(payload);
        progress.bytesReceived += payload.length;
        report();
        return;
      case RecordType.FileEnd: {
        const path = await receiver.fileEnd(payload);
        opts.log?.(`received ${path}`);
        return;
      }
      case RecordType.Eof:
        if (!receiver.complete)
          throw new UserError('the peer ended before sending every file it announced', 4);
        peerEof = true;
        if (peerMode !== 'files') await new Promise<void>((r) => opts.output.end(r));
        if (opts.send.kind === 'pipe' && opts.send.inputIsTty) stopInput?.();
        await maybeBye();
        return;
      case RecordType.Bye:
        peerBye = true;
        return;
      case RecordType.Abort: {
        const reason = decodeJson(payload, isAbort, 'abort').reason.slice(0, 300);
        throw new UserError(`the peer aborted: ${reason}`, ExitCode.PeerAborted);
      }
      default:
        throw new UserError(`the peer sent an unknown record type ${type}: update p2pcat on both sides`, 1);
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
        stream.off('data', onData);
        stream.off('end', onEnd);
        stream.off('close', onClose);
        // onError stays: an error after this (a write after the end we sent on failure) is moot.
        stream.pause();
        if (err !== undefined) reject(err);
        else resolve();
      };
      const atEnd = () => {
        // The stream ended: fine only if the peer had finished and had seen all of ours.
        if (peerEof && sentEof) settle();
        else
          settle(
            new UserError(
              'the peer closed the connection before the transfer finished',
              ExitCode.PeerAborted,
            ),
          );
      };
      const pump = async () => {
        handling = true;
        try {
          for (let chunk = queue.shift(); chunk !== undefined; chunk = queue.shift()) {
            for (const record of opener.push(chunk)) {
              await handle(record.type, record.payload);
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
      const onError = (e: Error) => settle(e);
      const onClose = () => {
        // Destroyed before its end (a reset, an abort): as a stream iterator reports it.
        if (!ended)
          settle(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      };
      stream.on('data', onData);
      stream.once('end', onEnd);
      stream.on('error', onError);
      stream.once('close', onClose);
      stream.resume();
    });

  try {
    await write(RecordType.Hello, encodeJson({ version: 1, mode: opts.send.kind } satisfies Hello));
    const sending =
      opts.send.kind === 'pipe'
        ? sendPipe(opts.send.input, opts.send.inputIsTty)
        : sendFiles(opts.send.paths);
    const interrupted = new Promise<never>((_, reject) => {
      const fire = () => reject(new UserError('interrupted', ExitCode.Interrupted));
      if (opts.signal?.aborted) fire();
      opts.signal?.addEventListener('abort', fire, { once: true });
    });
    interrupted.catch(() => {});
    await Promise.race([Promise.all([sending, receive()]), interrupted]);
  } catch (e) {
    stopInput?.();
    await receiver.cleanup();
    if (!streamClosed && !(e instanceof UserError && e.exitCode === ExitCode.PeerAborted)) {
      const reason =
        e instanceof UserError && e.exitCode === ExitCode.Interrupted
          ? 'the other side interrupted the transfer'
          : e instanceof Error
            ? e.message
            : String(e);
      try {
        stream.write(sealer.seal(RecordType.Abort, encodeJson({ reason })));
      } catch {}
    }
    stream.end();
    throw e instanceof UserError ? e : new UserError(e instanceof Error ? e.message : String(e), 1);
  } finally {
    stream.off('close', onGone);
  }
  return {
    bytesSent: progress.bytesSent,
    bytesReceived: progress.bytesReceived,
    filesReceived: receiver.received,
    peerMode,
  };
}
