// Asks the person at the controlling terminal a yes/no question. The terminal is opened as
// /dev/tty (as for pasting the answer, token-input.ts): standard input may be data and standard
// error may be redirected, but the person sits at the terminal.
import { openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ReadStream, WriteStream } from 'node:tty';
import { ExitCode, UserError } from './exit-codes.js';

/** Opens the controlling terminal, or undefined when the process has none (a script, a service). */
function openTerminal(): { input: ReadStream; output: WriteStream } | undefined {
  let rfd: number;
  try {
    rfd = openSync('/dev/tty', 'r');
  } catch {
    return undefined;
  }
  try {
    return { input: new ReadStream(rfd), output: new WriteStream(openSync('/dev/tty', 'w')) };
  } catch {
    new ReadStream(rfd).destroy();
    return undefined;
  }
}

/** "y" or "yes" (any case) is yes; anything else, an empty line or the end of input is no. */
export function isYes(answer: string): boolean {
  return /^\s*y(es)?\s*$/i.test(answer);
}

/**
 * Shows `lines` and `question` (with " [y/N] ") on the terminal and reads one line. Resolves to
 * the answer, or undefined when there is no terminal to ask. Ctrl-C rejects (exit 130).
 */
export async function askOnTerminal(
  lines: string[],
  question: string,
  signal?: AbortSignal,
): Promise<boolean | undefined> {
  const tty = openTerminal();
  if (!tty) return undefined;
  const rl = createInterface({ input: tty.input, output: tty.output, terminal: false });
  try {
    for (const l of lines) tty.output.write(`${l}\n`);
    tty.output.write(`${question} [y/N] `);
    const answer = await new Promise<string>((resolve, reject) => {
      const onAbort = () => reject(new UserError('interrupted', ExitCode.Interrupted));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      rl.once('line', (l) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(l);
      });
      rl.once('close', () => {
        signal?.removeEventListener('abort', onAbort);
        resolve('');
      });
    });
    return isYes(answer);
  } finally {
    rl.close();
    tty.input.destroy();
    tty.output.destroy();
  }
}
