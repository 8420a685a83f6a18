// abortError: what every package's aborted operation rejects with (issue 15; one copy, issue 16).
import { expect, test } from 'vitest';
import { abortError } from './abort.js';

const aborted = (reason?: unknown) => {
  const c = new AbortController();
  c.abort(reason);
  return c.signal;
};

test('a reason that is already an AbortError is the error itself', () => {
  const reason = new DOMException('mine', 'AbortError');
  expect(abortError(aborted(reason))).toBe(reason);
  const plain = aborted();
  expect(abortError(plain)).toBe(plain.reason);
});

test('any other reason becomes the cause of a DOMException named AbortError', () => {
  const e = abortError(aborted('why'), 'the request was aborted');
  expect(e).toMatchObject({ name: 'AbortError', message: 'the request was aborted', cause: 'why' });
  expect(e).toBeInstanceOf(Error);
  const t = new DOMException('late', 'TimeoutError');
  expect(abortError(aborted(t)).cause).toBe(t);
});
