// `p2pcat --invite` and `p2pcat INVITE`: tokens, connection, encrypted session, summary.
import { randomBytes } from 'node:crypto';
import { createReadStream, fstatSync } from 'node:fs';
import { type Readable, Writable } from 'node:stream';
import type { PairInfo } from '@p2pcat/ice';
import type { PseudoTcpStream } from '@p2pcat/pseudotcp';
import type { Command } from './args.js';
import {
  connectToPeer,
  type EndpointOptions,
  isRelayed,
  listenForTakenNotice,
  offerInbandAnswer,
  type PreparedEndpoint,
  prepareEndpoint,
} from './endpoint.js';
import { ExitCode, UserError } from './exit-codes.js';
import { releaseCleanFilePages } from './file-pages.js';
import { formatBytes } from './files-receiver.js';
import { runHandshake } from './handshake.js';
import { sealInbandAnswer } from './inband-answer.js';
import { InviteAnswers } from './invite-answers.js';
import { commitTo, deriveKeys, generateEphemeralKeyPair, NONCE_BYTES, type SessionKeys } from './keys.js';
import { enableYoungCollections } from './memory.js';
import { writePrivateFile } from './private-file.js';
import { askOnTerminal } from './prompt.js';
import type { Reporter } from './reporter.js';
import { runSession, type SendSpec } from './session.js';
import { encodeToken, type Token } from './token.js';
import { askYesNo, hasTerminal, parsePeerToken } from './token-input.js';

/** How long a joiner waits for its answer to reach the inviter, on top of --timeout. */
export const ANSWER_WAIT_MS = 10 * 60_000;

type TransferCommand = Extract<Command, { kind: 'invite' | 'join' }>;

/** Standard output as a Writable that never closes fd 1 itself (the process exit does). */
function stdoutSink(): Writable {
  return new Writable({
    write(chunk, _enc, cb) {
      if (process.stdout.write(chunk)) cb();
      else process.stdout.once('drain', () => cb());
    },
    final(cb) {
      cb();
    },
  });
}

export async function runTransfer(
  cmd: TransferCommand,
  reporter: Reporter,
  userSignal: AbortSignal,
): Promise<number> {
  // `stop` ends the run with its reason (someone else answered the invite); `signal` is either.
  const stop = new AbortController();
  const signal = AbortSignal.any([userSignal, stop.signal]);
  try {
    return await transfer(cmd, reporter, signal, stop);
  } catch (e) {
    throw stop.signal.aborted ? stop.signal.reason : e;
  }
}

/** Rejects with the signal's reason once it aborts. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

async function transfer(
  cmd: TransferCommand,
  reporter: Reporter,
  signal: AbortSignal,
  stop: AbortController,
): Promise<number> {
  const started = performance.now();
  const role = cmd.kind === 'invite' ? 'inviter' : 'joiner';
  // A joiner checks the invite before doing anything else: a bad token costs nothing.
  const invite: Token | undefined =
    cmd.kind === 'join' ? parsePeerToken(cmd.token, 'invite', { allowLoopback: cmd.loopback }) : undefined;
  const terminal = hasTerminal();
  if (cmd.confirm && !terminal)
    throw new UserError('--confirm needs a terminal to ask on, and there is none', ExitCode.Usage);
  // Inviter: the secret nonce whose commitment the invite carries (keys.ts, handshake.ts).
  const nonce = cmd.kind === 'invite' ? randomBytes(NONCE_BYTES) : undefined;
  const epOptions: EndpointOptions = {
    role,
    stunServers: cmd.stunServers,
    turnServers: cmd.turnServers,
    turnInsecure: cmd.turnInsecure,
    portMapping: cmd.portMapping,
    hardNat: cmd.hardNat,
    onHardNat: ({ type: _t, ...e }) => reporter.event('hard-nat', e),
    ipv4: cmd.ipv4,
    ipv6: cmd.ipv6,
    includeLoopback: cmd.loopback,
    connectTimeout: cmd.timeoutMs,
    // The joiner's answer goes through a human: it keeps its checks going meanwhile (up to
    // --answer-wait, default ANSWER_WAIT_MS, never past the invite's expiry).
    ...(invite && cmd.kind === 'join'
      ? {
          answerWaitMs: Math.max(
            0,
            Math.min(cmd.answerWaitMs ?? ANSWER_WAIT_MS, invite.expiresAt * 1000 - Date.now()),
          ),
        }
      : {}),
    log: (l) => reporter.detail(l),
    warn: (l) => reporter.info(l),
  };
  const keyPair = generateEphemeralKeyPair();
  // Starting node and loading the CLI are done: their pages of node's executable go back
  // (file-pages.ts), once more when the session begins.
  releaseFilePages(reporter, 'start');
  const endpoint: PreparedEndpoint = await prepareEndpoint(epOptions);
  const onAbort = () => void endpoint.close();
  let stopOffering = () => {};
  let answers: InviteAnswers | undefined;
  let sessionStarted = false;
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (const c of endpoint.candidates)
      reporter.detail(`local candidate ${c.type} ${c.address}:${c.port} priority ${c.priority}`);
    reporter.event('candidates', { candidates: endpoint.candidates });
    const ownToken = encodeToken({
      kind: cmd.kind === 'invite' ? 'invite' : 'answer',
      expiresAt:
        cmd.kind === 'invite' ? Math.floor(Date.now() / 1000 + cmd.expiryMinutes * 60) : invite!.expiresAt,
      ufragBytes: endpoint.ufragBytes,
      pwdBytes: endpoint.pwdBytes,
      publicKey: keyPair.publicKey,
      ...(nonce ? { commitment: commitTo(nonce) } : {}),
      candidates: endpoint.candidates,
      ...(endpoint.hardNatProfile ? { hardNat: endpoint.hardNatProfile } : {}),
    });
    let peer: Token;
    let answerInband = false;
    if (cmd.kind === 'invite') {
      // Listening for in-band answers starts before the invite is out: one arriving at once (a
      // joiner on the same network) must not fall through to the ICE agent and be dropped.
      answers = new InviteAnswers(endpoint, {
        answerFrom: cmd.answerFrom,
        terminal,
        yes: cmd.yes,
        allowLoopback: cmd.loopback,
        detail: (l) => reporter.detail(l),
        always: (l) => reporter.always(l),
        onConflict: (e) => stop.abort(e),
        sessionPair: () => endpoint.ice.selectedPair(),
        sessionStarted: () => sessionStarted,
      });
      if (cmd.inviteTo) await writePrivateFile(cmd.inviteTo, `${ownToken.text}\n`);
      reporter.event('invite', { token: ownToken.text });
      reporter.info(
        'Send this invite to the other side (any chat or mail); it is valid for ' +
          `${cmd.expiryMinutes} minutes:`,
      );
      reporter.always(ownToken.text);
      reporter.info(
        cmd.answerFrom ? `Waiting for the answer in ${cmd.answerFrom} ...` : 'Paste their answer here:',
      );
      const accepted = await answers.first(signal);
      peer = accepted.token;
      answerInband = accepted.inband;
      if (answerInband) {
        reporter.info(
          terminal
            ? 'The answer arrived directly from the other side: compare the verification code with them before anything is sent.'
            : 'The answer arrived directly from the other side (accepted: --yes).',
        );
        reporter.event('answer-in-band');
      }
    } else {
      peer = invite!;
      // The inviter says so when someone else answered its invite as well.
      listenForTakenNotice(endpoint, ownToken.raw, () =>
        stop.abort(
          new UserError(
            'someone else answered this invite first: the inviter stopped and nothing was sent; ask for a new invite (sent privately)',
            ExitCode.IntegrityFailure,
          ),
        ),
      );
      // When the inviter's NAT lets our checks in, the answer also travels in-band on that path.
      stopOffering = offerInbandAnswer(endpoint, sealInbandAnswer(ownToken.text, peer.pwd));
      if (cmd.answerTo) await writePrivateFile(cmd.answerTo, `${ownToken.text}\n`);
      reporter.event('answer', { token: ownToken.text });
      reporter.info(
        'Send this answer back to the side that invited you (when their network lets us reach ' +
          'them directly, it gets there by itself; pasting it as well does no harm):',
      );
      reporter.always(ownToken.text);
    }
    for (const c of peer.candidates)
      reporter.detail(`remote candidate ${c.type} ${c.address}:${c.port} priority ${c.priority}`);
    // -v: every pair whose check succeeded, as it happens (the selected one is reported below).
    endpoint.ice.on('valid-pair', (e: { pair: PairInfo }) =>
      reporter.detail(
        `pair ${e.pair.local.type} ${e.pair.local.address.address}:${e.pair.local.address.port} -> ${e.pair.remote.type} ${e.pair.remote.address.address}:${e.pair.remote.address.port} works (RTT ${Math.round(e.pair.stats.rtt ?? 0)} ms)`,
      ),
    );
    const inviteRaw = cmd.kind === 'invite' ? ownToken.raw : peer.raw;
    const answerRaw = cmd.kind === 'invite' ? peer.raw : ownToken.raw;
    const derived = deriveKeys(keyPair, peer.publicKey, role, inviteRaw, answerRaw);
    reporter.info('Connecting ...');
    // A joiner usually waits for a human on the other side: say how long, and what a failure on
    // the other side means (it cannot reach us to say so itself when no path exists).
    const patience =
      cmd.kind === 'join' && (epOptions.answerWaitMs ?? 0) > 0
        ? joinerPatience(reporter, Date.now() + (epOptions.answerWaitMs ?? 0) + cmd.timeoutMs)
        : undefined;
    let connected: Awaited<ReturnType<typeof connectToPeer>>;
    try {
      connected = await Promise.race([connectToPeer(endpoint, peer, epOptions), aborted(signal)]);
    } finally {
      patience?.stop();
    }
    stopOffering();
    // Memory: no V8 flag on any path. With 8 MiB pseudo-TCP buffers V8's old generation used to
    // fill with the pseudo-TCP's per-segment records (each lives a round trip, long enough to be
    // promoted), and --optimize-for-size kept the sender near 86-89 MiB at the cost of a tenth of
    // its CPU in the collector and much of its throughput on the 50 ms lossy path. The
    // pseudo-TCP now reuses those records and sends one ACK per batch of out-of-order segments
    // (issue 18): without the flag the sides peaked at 88-94 / 87-91 MiB there, at 0.56-0.98x
    // Linux TCP BBR (median 0.75x, 8 runs; the flag with the same pseudo-TCP: median 0.57x, and
    // 0.47x before these changes; bench/p2pcat/RESULTS.md).
    // From here on the session handles Ctrl-C: it sends ABORT, which must leave before the
    // sockets close (closing the endpoint at once raced it and the peer timed out instead).
    signal.removeEventListener('abort', onAbort);
    const pair = endpoint.ice.selectedPair() ?? connected.pair; // chosen while the stream opened
    let pathType: typeof connected.pathType = pair
      ? isRelayed(pair)
        ? 'relayed'
        : 'direct'
      : connected.pathType;
    const describePath = (p: typeof pair) =>
      p ? `${pathType} (${p.local.type} -> ${p.remote.type})` : pathType;
    let pathWords = describePath(pair);
    reporter.path = pathType;
    reporter.rttMs = pair?.stats.rtt;
    if (pair)
      reporter.detail(
        `selected pair ${pair.local.address.address}:${pair.local.address.port} -> ${pair.remote.address.address}:${pair.remote.address.port}`,
      );
    // The controlling side may start sending before its nomination settles: the pair's types and
    // RTT join the progress line and the summary when the selection is announced.
    endpoint.ice.on('selected-pair', (p: NonNullable<typeof pair>) => {
      pathType = isRelayed(p) ? 'relayed' : 'direct';
      reporter.path = pathType;
      pathWords = describePath(p);
      reporter.rttMs = p.stats.rtt;
      reporter.detail(
        `selected pair now ${p.local.address.address}:${p.local.address.port} -> ${p.remote.address.address}:${p.remote.address.port}`,
      );
    });
    // The handshake: the code, each side's gate, READY both ways; nothing flows before it passed.
    // Gate: --confirm, or an inviter on a terminal whose answer came in-band (invite-answers.ts).
    const gated = cmd.confirm || (answerInband && terminal);
    let keys: SessionKeys;
    try {
      const hs = await runHandshake({
        stream: connected.stream,
        role,
        keys: derived.handshake,
        ...(nonce ? { nonce } : {}),
        ...(invite?.commitment ? { commitment: invite.commitment } : {}),
        signal,
        onCode: (code) => {
          reporter.event('connected', {
            path: pathType, // the same words as the line below (the pair selected by now)
            local: pair?.local.type,
            remote: pair?.remote.type,
            connectMs: Math.round(connected.connectMs),
            verificationCode: code,
          });
          reporter.info(
            `Connected over a ${pathWords} path in ${Math.round(connected.connectMs)} ms. Verification code: ${code}`,
          );
        },
        onWaitingForPeer: () =>
          reporter.info('Waiting for the other side to confirm the verification code ...'),
        gate: gated
          ? async (_code, gateSignal) => {
              reporter.finish();
              const ok = await askYesNo(
                'Does the other side show the same code? [y/N]',
                (l) => reporter.always(l),
                gateSignal,
                answers ? (line) => answers!.pastedLine(line) : undefined,
              );
              return ok;
            }
          : async () => true,
      });
      keys = { ...derived.session, verificationCode: hs.verificationCode };
      sessionStarted = true;
    } catch (e) {
      // A REFUSED must reach the peer before the sockets close.
      await closeGracefully(connected.stream, 1500);
      throw e;
    }
    const send: SendSpec = cmd.sendPaths
      ? { kind: 'files', paths: cmd.sendPaths }
      : { kind: 'pipe', input: standardInput(), inputIsTty: process.stdin.isTTY === true };
    enableYoungCollections();
    releaseFilePages(reporter, 'session');
    const t0 = performance.now();
    let result: Awaited<ReturnType<typeof runSession>>;
    try {
      result = await runSession({
        stream: connected.stream,
        streamCopiesWrites: true, // pseudo-TCP copies written bytes into its send buffer
        keys,
        send,
        output: stdoutSink(),
        outDir: cmd.outDir,
        force: cmd.force,
        yes: cmd.yes,
        allowHidden: cmd.allowHidden,
        idleTimeoutMs: cmd.idleTimeoutMs,
        ask: (lines, question) => {
          reporter.finish(); // the progress bar off the terminal while the person reads
          return askOnTerminal(lines, question, signal);
        },
        notice: (l) => reporter.info(l),
        signal,
        onProgress: (p) => reporter.progress(p),
        log: (l) => reporter.detail(l),
      });
    } catch (e) {
      // The session queued an ABORT record for the peer: let pseudo-TCP deliver it before the
      // sockets close, so that the peer stops at once (exit 4) instead of timing out.
      await closeGracefully(connected.stream, 1500);
      throw e;
    }
    reporter.finish();
    const secs = (performance.now() - t0) / 1000;
    const bytes = result.bytesSent + result.bytesReceived;
    const summary = `p2pcat: sent ${formatBytes(result.bytesSent)}, received ${formatBytes(result.bytesReceived)} in ${secs.toFixed(1)} s (${formatBytes(bytes / Math.max(secs, 0.001))}/s) over a ${pathWords} path; encrypted, verification code ${keys.verificationCode}${result.filesReceived.length ? `; ${result.filesReceived.length} file(s) received, SHA-256 verified` : ''}`;
    reporter.event('done', {
      ...result,
      seconds: secs,
      path: pathType,
      totalSeconds: (performance.now() - started) / 1000,
      // The transport's own counters (for diagnosis: a lossy path shows in the retransmissions).
      transport: transportStats(connected.stream),
    });
    reporter.info(summary);
    await closeGracefully(connected.stream);
    return ExitCode.Success;
  } finally {
    stopOffering();
    answers?.stop();
    reporter.finish();
    signal.removeEventListener('abort', onAbort);
    await endpoint.close();
  }
}

/** What a joiner waiting for its answer to be used hears after 5 s: the bound, and on a terminal a countdown. */
function joinerPatience(reporter: Reporter, deadline: number): { stop(): void } {
  const left = () => {
    const s = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };
  let ticker: NodeJS.Timeout | undefined;
  const start = setTimeout(() => {
    reporter.info(
      `Waiting for the other side to use this answer (at most ${left()} more; Ctrl-C to give up). ` +
        'If they saw "no direct path found", no path exists between you: stop here, and both add --turn.',
    );
    ticker = setInterval(() => reporter.status(`  ${left()} left`), 1000);
    ticker.unref();
  }, 5000);
  start.unref();
  return {
    stop() {
      clearTimeout(start);
      clearInterval(ticker);
      reporter.finish();
    },
  };
}

/**
 * Standard input as a stream. When it is a regular file (`p2pcat < file`), Node reads it in 64 KiB
 * pieces, each a round trip through the thread pool, which halved the transfer rate on loopback:
 * read it in 256 KiB pieces instead (fd 0 stays open; the process exit closes it).
 */
function standardInput(): Readable {
  try {
    if (fstatSync(0).isFile())
      return createReadStream('', { fd: 0, highWaterMark: 256 * 1024, autoClose: false });
  } catch {
    // no usable fd 0: fall back to process.stdin, which reports the problem itself
  }
  return process.stdin;
}

/**
 * Our last record (BYE) must reach the peer before the process exits: wait until pseudo-TCP has
 * everything acknowledged (our FIN included), then linger briefly so that the peer's FIN gets its
 * ACK too. Bounded, so a vanished peer costs at most a few seconds.
 */
/** The pseudo-TCP counters a `done` event carries. */
function transportStats(stream: PseudoTcpStream) {
  const s = stream.stats();
  return {
    rttMs: Math.round(s.rttMs),
    retransmits: s.retransmits,
    bytesSent: s.bytesSent,
    bytesReceived: s.bytesReceived,
  };
}

function releaseFilePages(reporter: Reporter, when: string): void {
  const r = releaseCleanFilePages();
  if (r.mappings > 0)
    reporter.detail(
      `${when}: ${formatBytes(r.residentBytes)} of clean file pages released (${r.mappings} mappings)`,
    );
}

async function closeGracefully(stream: PseudoTcpStream, limitMs = 5000): Promise<void> {
  stream.end();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, limitMs);
    const done = () => {
      clearTimeout(timer);
      setTimeout(resolve, 200);
    };
    if (stream.writableFinished) done();
    else {
      stream.once('finish', done);
      stream.once('close', done);
      stream.once('error', done);
    }
  });
  stream.destroy();
}
