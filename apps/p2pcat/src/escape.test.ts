import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { escapeForTerminal, hasTerminalUnsafe } from './escape.js';

describe('escapeForTerminal', () => {
  test('ESC sequences are shown, not obeyed', () => {
    expect(escapeForTerminal('\u001b[2J\u001b]0;title\u0007x')).toBe('\\x1b[2J\\x1b]0;title\\x07x');
  });
  test('U+202E and the other bidirectional controls are escaped', () => {
    expect(escapeForTerminal('invoice\u202Efdp.exe')).toBe('invoice\\u202efdp.exe');
    expect(escapeForTerminal('\u2066a\u2069\u200e\u200f\u061c')).toBe('\\u2066a\\u2069\\u200e\\u200f\\u061c');
  });
  test('newlines, carriage returns, DEL and C1 controls', () => {
    expect(escapeForTerminal('a\nb\r\u007f\u009b')).toBe('a\\x0ab\\x0d\\x7f\\x9b');
  });
  test('a lone surrogate is escaped; plain text, accents and emoji are untouched', () => {
    expect(escapeForTerminal('x\ud800y')).toBe('x\\ud800y');
    expect(escapeForTerminal('Résumé 📄.pdf')).toBe('Résumé 📄.pdf');
  });
  test('idempotent, and nothing unsafe survives (any string)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const once = escapeForTerminal(s);
        expect(hasTerminalUnsafe(once)).toBe(false);
        expect(escapeForTerminal(once)).toBe(once);
      }),
    );
  });
});
