// Reads the peer's token: from the controlling terminal (so that standard input stays data), from
// standard input, or from a file that a script writes later (polled until a whole token is there).
import { closeSync, existsSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ReadStream } from 'node:tty';
import { ExitCode, UserError } from './exit-codes.js';
import { type DecodeOptions, decodeToken, type Token, type TokenKind } from './token.js';

const MAX_TOKEN_TEXT = 4000;
/** Lines of a person's pastes considered together (a token broken by a chat client). */
const MAX_LINES = 12;

function check(token: Token, want: TokenKind): Token {
  if (token.kind !== want) {
    throw new UserError(
      want === 'answer'
        ? 'that is an invite, not an answer: paste the answer the other side printed'
        : 'that is an answer, not an invite: it goes to the side that ran p2pcat --invite',
      ExitCode.Usage,
    );
  }
  return token;
}

/** Parses text that may hold a token broken over several lines; undefined while it looks incomplete. */
function tryDecode(text: string, want: TokenKind, options: DecodeOptions = {}): Token | undefined {
  try {
    return check(decodeToken(text, Date.now(), options), want);
  } catch (e) {
    if (e instanceof UserError && /damaged or incomplete/.test(e.message) && text.length < MAX_TOKEN_TEXT) {
      return undefined;
    }
    throw e;
  }
}

export function parsePeerToken(text: string, want: TokenKind, options: DecodeOptions = {}): Token {
  return check(decodeToken(text, Date.now(), options), want);
}

/**
 * Reads lines until they hold a whole token. `interactive` (a person at a terminal): a wrong token
 * (an invite instead of the answer, expired, mistyped) is reported with `retry` and the person may
 * paste again, so the session and its invite are not lost; a fresh paste on its own line is tried
 * on its own too, in case an earlier line was a broken fragment.
 */
export async function fromLines(
  input: Readable,
  want: TokenKind,
  signal: AbortSignal,
  retry?: (message: string) => void,
  options: DecodeOptions = {},
): Promise<Token> {
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let text = '';
  const recent: string[] = [];
  try {
    const onAbort = () => rl.close();
    signal.addEventListener('abort', onAbort, { once: true });
    for await (const line of rl) {
      if (!line.trim()) continue;
      if (!retry) {
        text += line;
        const t = tryDecode(text, want, options);
        if (t) return t;
        continue;
      }
      // Interactive: the token may be any run of the latest lines (earlier ones may be noise).
      recent.push(line);
      if (recent.length > MAX_LINES) recent.shift();
      let wrong: UserError | undefined;
      for (let i = 0; i < recent.length; i++) {
        const attempt = recent.slice(i).join('');
        if (attempt.length > MAX_TOKEN_TEXT) continue;
        try {
          const t = tryDecode(attempt, want, options);
          if (t) return t;
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          wrong ??= e;
        }
      }
      if (wrong) {
        // The message may already say what to paste; else ask for it again.
        retry(
          /paste|copy/.test(wrong.message) ? wrong.message : `${wrong.message}; paste the ${want} again:`,
        );
        recent.length = 0;
      }
    }
    if (signal.aborted) throw new UserError('interrupted', ExitCode.Interrupted);
    if (text) return parsePeerToken(text, want, options); // throws the precise reason
    throw new UserError(`no ${want} received (input ended)`, ExitCode.Usage);
  } finally {
    rl.close();
  }
}

/** Waits for FILE to hold a whole token (a script may write it later). */
async function fromFile(
  path: string,
  want: TokenKind,
  signal: AbortSignal,
  options: DecodeOptions = {},
): Promise<Token> {
  for (;;) {
    if (signal.aborted) throw new UserError('interrupted', ExitCode.Interrupted);
    if (existsSync(path)) {
      const text = (await readFile(path, 'utf8')).slice(0, MAX_TOKEN_TEXT);
      const t = text.trim() ? tryDecode(text, want, options) : undefined;
      if (t) return t;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function readPeerToken(
  source: string | undefined,
  want: TokenKind,
  signal: AbortSignal,
  retry?: (message: string) => void,
  options: DecodeOptions = {},
): Promise<Token> {
  if (source === '-') return fromLines(process.stdin, want, signal, undefined, options);
  if (source !== undefined) return fromFile(source, want, signal, options);
  let tty: ReadStream;
  try {
    tty = new ReadStream(openSync('/dev/tty', 'r'));
  } catch {
    throw new UserError(
      `no terminal to read the ${want} from: use --answer-from FILE or --answer-from -`,
      ExitCode.Usage,
    );
  }
  try {
    return await fromLines(tty, want, signal, retry, options);
  } finally {
    tty.destroy();
  }
}

/** The controlling terminal for reading, or undefined when there is none (a service, setsid). */
function openTerminal(): ReadStream | undefined {
  try {
    return new ReadStream(openSync('/dev/tty', 'r'));
  } catch {
    return undefined;
  }
}

/** True when a person can be asked on the controlling terminal. */
export function hasTerminal(): boolean {
  try {
    closeSync(openSync('/dev/tty', 'r'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Asks a yes/no question on the controlling terminal (the question goes through `say`, i.e. to
 * standard error). Resolves true only for "y"/"yes"; anything else, the end of input or `signal`
 * is no. A line that is not y/n is handed to `other` first (an inviter watches for a second answer
 * pasted there); when `other` returns true the line was taken and the question is asked again.
 * Throws UserError (exit 2) when there is no terminal.
 */
export async function askYesNo(
  question: string,
  say: (line: string) => void,
  signal: AbortSignal,
  other?: (line: string) => boolean,
): Promise<boolean> {
  const tty = openTerminal();
  if (!tty)
    throw new UserError('no terminal to ask on: confirming needs one (drop --confirm)', ExitCode.Usage);
  const rl = createInterface({ input: tty, crlfDelay: Number.POSITIVE_INFINITY });
  const onAbort = () => rl.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    say(question);
    for await (const line of rl) {
      const answer = line.trim().toLowerCase();
      if (answer === 'y' || answer === 'yes') return true;
      if (answer === '' || answer === 'n' || answer === 'no') return false;
      if (other?.(line)) {
        say(question);
        continue;
      }
      return false;
    }
    return false;
  } finally {
    signal.removeEventListener('abort', onAbort);
    rl.close();
    tty.destroy();
  }
}
