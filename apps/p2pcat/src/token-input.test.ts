import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { encodeToken } from './token.js';
import { fromLines } from './token-input.js';

function token(kind: 'invite' | 'answer', expiresInSeconds = 1800): string {
  return encodeToken({
    kind,
    expiresAt: Math.floor(Date.now() / 1000) + expiresInSeconds,
    ufragBytes: new Uint8Array([1, 2, 3]),
    pwdBytes: new Uint8Array(15).fill(kind === 'invite' ? 7 : 8),
    publicKey: new Uint8Array(32).fill(9),
    ...(kind === 'invite' ? { commitment: new Uint8Array(16).fill(3) } : {}),
    candidates: [
      { type: 'host', address: '192.168.1.20', port: 50123, priority: 2130706431, foundation: 'h1' },
    ],
  }).text;
}

/** Feeds lines to fromLines as a person at a terminal would, collecting the retry prompts. */
async function paste(lines: string[]) {
  const input = new PassThrough();
  const prompts: string[] = [];
  const result = fromLines(input, 'answer', new AbortController().signal, (m) => prompts.push(m));
  for (const l of lines) input.write(`${l}\n`);
  return { token: await result, prompts, input };
}

describe('reading the answer from a person', () => {
  test('a wrong paste is reported and the person pastes again; the session is not lost', async () => {
    const answer = token('answer');
    const { token: got, prompts } = await paste([
      token('invite'), // their own invite by mistake
      'hello?',
      `"${answer.slice(0, 60)}`, // a chat client broke the answer in two and quoted it
      `${answer.slice(60)}"`,
    ]);
    expect(got.kind).toBe('answer');
    expect(prompts).toEqual([
      'that is an invite, not an answer: paste the answer the other side printed',
      'that is not a p2pcat token (a token starts with "p2pcat1"); paste the answer again:',
    ]);
  });

  test('a mistyped fragment before a fresh whole paste does not poison it', async () => {
    const answer = token('answer');
    const typo = `${answer.slice(0, 40)}X${answer.slice(41)}`;
    const { token: got, prompts } = await paste([typo, answer]);
    expect(got.kind).toBe('answer');
    expect(prompts).toEqual([]);
  });

  test('an expired answer is reported, not fatal', async () => {
    const { token: got, prompts } = await paste([token('answer', -60), token('answer')]);
    expect(got.kind).toBe('answer');
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toMatch(/expired/);
  });

  test('without a person (a file or a pipe) the first wrong token is the error', async () => {
    const input = new PassThrough();
    const result = fromLines(input, 'answer', new AbortController().signal);
    input.end(`${token('invite')}\n`);
    await expect(result).rejects.toThrow(/that is an invite, not an answer/);
  });
});
