import { expect, test } from 'vitest';
import { isYes } from './prompt.js';

test('only y or yes (any case, spaces around) accepts; empty, no and anything else decline', () => {
  for (const a of ['y', 'Y', 'yes', 'YES', ' yes ']) expect(isYes(a)).toBe(true);
  for (const a of ['', 'n', 'no', 'yess', 'ye', 'y y', 'sure', '\u001b[A']) expect(isYes(a)).toBe(false);
});
