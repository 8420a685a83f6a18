// The inviter's view of the answers to its invite, for the whole run: the first acceptable one
// starts the session; a second, different authentic one stops everything (someone else holds the
// invite) and both answering sides are told.
//
// Who may answer: the pasted answer (terminal, --answer-from FILE or -) is the person's choice.
// An answer that arrives in-band (inband-answer.ts) proves only that its sender read the invite -
// in a group chat, anyone there. So it is accepted only when a person can still look at it: on a
// terminal the verification code gate is then on (transfer.ts), without one only with --yes;
// else it is ignored (a -v note) and the pasted or file answer is awaited.
import { readFile } from 'node:fs/promises';
import type { PairInfo } from '@p2pcat/ice';
import { listenForInbandAnswer, type PreparedEndpoint, sendTakenNotice } from './endpoint.js';
import { ExitCode, UserError } from './exit-codes.js';
import { decodeToken, type Token } from './token.js';
import { parsePeerToken, readPeerToken } from './token-input.js';

export interface AcceptedAnswer {
  token: Token;
  /** it came in-band (not pasted, not from --answer-from) */
  inband: boolean;
}

export interface InviteAnswersOptions {
  answerFrom: string | undefined;
  /** a person can confirm on the terminal */
  terminal: boolean;
  /** --yes: accept an in-band answer without a terminal */
  yes: boolean;
  allowLoopback: boolean;
  detail: (line: string) => void;
  /** lines a person must see (a wrong paste) */
  always: (line: string) => void;
  /** a second, different answer: stop everything with this error */
  onConflict: (error: UserError) => void;
  /** the pair of the running session, if any: the notice for the accepted answer goes along it too */
  sessionPair: () => PairInfo | undefined;
  /** true once session data may have flowed (the handshake passed) */
  sessionStarted: () => boolean;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export class InviteAnswers {
  private accepted: AcceptedAnswer | undefined;
  private waiters: ((a: AcceptedAnswer) => void)[] = [];
  private conflicted = false;
  private noted = false;
  private poll: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly endpoint: PreparedEndpoint,
    private readonly opts: InviteAnswersOptions,
  ) {
    listenForInbandAnswer(endpoint, (text) => this.inband(text));
  }

  /** The first accepted answer: pasted / from the file, or in-band as the rules above allow. */
  async first(signal: AbortSignal): Promise<AcceptedAnswer> {
    if (this.accepted) return this.accepted;
    const reading = new AbortController();
    const onAbort = () => reading.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const inband = new Promise<AcceptedAnswer>((resolve) => this.waiters.push(resolve));
    try {
      const pasted = readPeerToken(
        this.opts.answerFrom,
        'answer',
        reading.signal,
        (m) => this.opts.always(`p2pcat: ${m}`),
        { allowLoopback: this.opts.allowLoopback },
      ).then((token) => this.offer(token, false));
      return await Promise.race([pasted, inband]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      reading.abort(); // stops reading the terminal / polling the file
      this.watchFile();
    }
  }

  /** A line typed at the confirmation prompt: true when it was an answer token (handled here). */
  pastedLine(line: string): boolean {
    try {
      this.offer(parsePeerToken(line, 'answer', { allowLoopback: this.opts.allowLoopback }), false);
      return true;
    } catch {
      return false;
    }
  }

  stop(): void {
    clearInterval(this.poll);
  }

  private inband(text: string): void {
    let token: Token;
    try {
      token = parsePeerToken(text, 'answer', { allowLoopback: this.opts.allowLoopback });
    } catch (e) {
      this.opts.detail(`in-band answer refused: ${(e as Error).message}`);
      return;
    }
    if (!this.accepted && !this.opts.terminal && !this.opts.yes) {
      if (!this.noted) {
        this.noted = true;
        this.opts.detail(
          'an answer arrived directly from the network and was ignored: with no terminal to confirm its code, p2pcat accepts one only with --yes; still waiting for the answer',
        );
      }
      return;
    }
    this.offer(token, true);
  }

  private offer(token: Token, inband: boolean): AcceptedAnswer {
    if (!this.accepted) {
      this.accepted = { token, inband };
      for (const w of this.waiters.splice(0)) w(this.accepted);
      return this.accepted;
    }
    if (!sameBytes(this.accepted.token.raw, token.raw)) this.conflict(token, inband);
    return this.accepted;
  }

  /** After the first answer: a different one written to --answer-from FILE is a conflict too. */
  private watchFile(): void {
    const path = this.opts.answerFrom;
    if (!path || path === '-' || this.poll) return;
    this.poll = setInterval(() => {
      readFile(path, 'utf8')
        .then((text) => {
          if (!text.trim() || this.conflicted) return;
          const token = decodeToken(text.slice(0, 4000), Date.now(), {
            allowLoopback: this.opts.allowLoopback,
          });
          if (token.kind === 'answer') this.offer(token, false);
        })
        .catch(() => {}); // absent, incomplete or not a token: nothing to say
    }, 500);
    this.poll.unref();
  }

  private conflict(second: Token, inband: boolean): void {
    if (this.conflicted || !this.accepted) return;
    this.conflicted = true;
    const first = this.accepted;
    // Tell both answering sides; a few copies, since a datagram may be lost.
    for (let i = 0; i < 3; i++) {
      sendTakenNotice(this.endpoint, first.token, this.opts.sessionPair());
      sendTakenNotice(this.endpoint, second);
    }
    const how = (b: boolean) => (b ? 'directly from the network' : 'pasted or from the answer file');
    const outcome = this.opts.sessionStarted() ? 'the session was stopped' : 'nothing was sent';
    this.opts.onConflict(
      new UserError(
        `someone else answered your invite: a second, different answer arrived (${how(inband)}; the first came ${how(first.inband)}); ${outcome}; make a new invite and send it privately`,
        ExitCode.IntegrityFailure,
      ),
    );
  }
}
