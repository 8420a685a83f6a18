// The CLI on both of its I/O paths (issue 18, item 5): with the Linux addons (pseudotcp's batched
// send, p2pcat's file-pages release) and with P2PCAT_NO_NATIVE=1, where neither is loaded. A pipe
// of 8 MiB each way between two real p2pcat processes on loopback (no root).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeWorkDirs, workDir } from './harness.js';
import { killAll, LOCAL, p2pcat, tokenIn } from './local.js';

afterEach(() => killAll());
afterAll(() => removeWorkDirs());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const addon = new URL(`../dist/native/${process.platform}-${process.arch}/file-pages.node`, import.meta.url);
const RELEASED = /(start|session): [\d.]+ [KMG]?B of clean file pages released \(\d+ mappings\)/g;

async function pipeBothWays(tag: string, env: NodeJS.ProcessEnv) {
  const dir = await workDir(tag);
  const toJoiner = randomBytes(8 << 20);
  const toInviter = randomBytes(8 << 20);
  const inviter = p2pcat(
    ['--invite', ...LOCAL, '--invite-to', join(dir, 'invite'), '--answer-from', join(dir, 'answer')],
    'pipe',
    env,
  );
  const invite = await tokenIn(join(dir, 'invite'));
  const joiner = p2pcat([invite, ...LOCAL, '--answer-to', join(dir, 'joiner-answer')], 'pipe', env);
  await writeFile(join(dir, 'answer'), `${await tokenIn(join(dir, 'joiner-answer'))}\n`);
  inviter.child.stdin?.end(toJoiner);
  joiner.child.stdin?.end(toInviter);
  const [i, j] = await Promise.all([inviter.done, joiner.done]);
  expect(i.code, i.stderr).toBe(0);
  expect(j.code, j.stderr).toBe(0);
  expect(sha(joiner.stdout())).toBe(sha(toJoiner));
  expect(sha(inviter.stdout())).toBe(sha(toInviter));
  return { inviter: i.stderr, joiner: j.stderr };
}

describe('p2pcat with and without its native addons', () => {
  if (process.platform === 'linux' && existsSync(addon)) {
    it('with the addons: the bytes arrive, and each side releases its clean file pages twice', async () => {
      const r = await pipeBothWays('native', {});
      for (const stderr of [r.inviter, r.joiner]) {
        expect(
          [...stderr.matchAll(RELEASED)].map((m) => m[1]),
          stderr,
        ).toEqual(['start', 'session']);
      }
    }, 60_000);
  } else {
    if (process.env.CI === 'true' && process.platform === 'linux')
      throw new Error('CI: the file-pages addon was not built');
    console.log('native-paths: the addon path skipped: file-pages addon not built for this system');
  }

  it('with P2PCAT_NO_NATIVE=1: the same bytes arrive, and nothing is released', async () => {
    const r = await pipeBothWays('no-native', { P2PCAT_NO_NATIVE: '1' });
    expect(r.inviter).not.toMatch(RELEASED);
    expect(r.joiner).not.toMatch(RELEASED);
  }, 60_000);
});
