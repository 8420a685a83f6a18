// Text that came from the peer (an ABORT reason, file names) is printed only through this: a peer
// must not be able to move the cursor, clear the screen, retitle the terminal (ESC sequences) or
// make a name read backwards (bidirectional controls such as U+202E) on the user's terminal.

/**
 * Characters never printed as they are: C0 controls, DEL, C1 controls, the bidirectional controls
 * (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and the line/paragraph separators.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we match
export const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** A lone UTF-16 surrogate (JSON's "\ud800" can make one): not a character at all. */
const LONE_SURROGATE = /\p{Cs}/gu;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every unsafe character shown as an escape (`\x1b`, `\x0a`, `\u202e`). Backslashes
 * are left alone, so escaping twice changes nothing: the result has no unsafe character left.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(TERMINAL_UNSAFE, escapeChar).replace(LONE_SURROGATE, escapeChar);
}

/** True when `text` holds a character escapeForTerminal would escape. */
export function hasTerminalUnsafe(text: string): boolean {
  TERMINAL_UNSAFE.lastIndex = 0;
  LONE_SURROGATE.lastIndex = 0;
  return TERMINAL_UNSAFE.test(text) || LONE_SURROGATE.test(text);
}
