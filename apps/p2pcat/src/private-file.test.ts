import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { writePrivateFile } from './private-file.js';

test('a token file is 0600, whether new or already there with wider permissions', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'p2pcat-priv-'));
  const oldMask = process.umask(0o022);
  try {
    const fresh = join(dir, 'invite.txt');
    await writePrivateFile(fresh, 'secret\n');
    expect((await stat(fresh)).mode & 0o777).toBe(0o600);
    const existing = join(dir, 'answer.txt');
    await writeFile(existing, 'old content that is longer', { mode: 0o644 });
    expect((await stat(existing)).mode & 0o777).toBe(0o644);
    await writePrivateFile(existing, 'secret\n');
    expect((await stat(existing)).mode & 0o777).toBe(0o600);
    expect(await readFile(existing, 'utf8')).toBe('secret\n');
  } finally {
    process.umask(oldMask);
    await rm(dir, { recursive: true, force: true });
  }
});
