import type { StatsFs } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';

// The free-space check reads statfs: a file system with few blocks or inodes left, made up here.
const fsState = { bavail: 1_000_000, bsize: 4096, files: 1_000_000, ffree: 1_000_000 };
vi.mock('node:fs/promises', async (orig) => {
  const real = await orig<typeof import('node:fs/promises')>();
  return {
    ...real,
    statfs: async (p: string) => ({ ...(await real.statfs(p)), ...fsState }) as unknown as StatsFs,
  };
});

const { FilesReceiver, MAX_ENTRIES } = await import('./files-receiver.js');

const dirs: string[] = [];
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'p2pcat-recv-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  Object.assign(fsState, { bavail: 1_000_000, bsize: 4096, files: 1_000_000, ffree: 1_000_000 });
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('FilesReceiver bounds', () => {
  test('inodes: each file and each new directory needs one', async () => {
    const out = await tempDir();
    fsState.ffree = 3;
    const r = new FilesReceiver({ outDir: out, force: false });
    r.addEntry({ path: 'a/b/one', type: 'file', size: 0 });
    r.addEntry({ path: 'a/two', type: 'file', size: 0 });
    // a, a/b, one, two: 4 inodes
    await expect(r.entriesEnd()).rejects.toThrow(
      /not enough free inodes.*4 files and directories, 3 inodes free/,
    );
    expect(await readdir(out)).toEqual([]);
  });

  test('a file system that reports no inode count (btrfs) is not held to one', async () => {
    const out = await tempDir();
    Object.assign(fsState, { files: 0, ffree: 0 });
    const r = new FilesReceiver({ outDir: out, force: false });
    r.addEntry({ path: 'x', type: 'file', size: 1 });
    await expect(r.entriesEnd()).resolves.toMatchObject({ files: 1, directories: 0, totalBytes: 1 });
  });

  test('blocks: every file rounds up to whole blocks and every new directory takes one', async () => {
    const out = await tempDir();
    fsState.bavail = 3;
    const r = new FilesReceiver({ outDir: out, force: false });
    r.addEntry({ path: 'd/x', type: 'file', size: 1 });
    r.addEntry({ path: 'd/y', type: 'file', size: 4097 }); // 2 blocks
    // 1 + 2 + 1 (d) = 4 blocks > 3
    await expect(r.entriesEnd()).rejects.toThrow(/not enough free space.*1 new directory/);
  });

  test('the number of entries is bounded', () => {
    const r = new FilesReceiver({ outDir: '/nonexistent', force: false });
    for (let i = 0; i < MAX_ENTRIES; i++) r.addEntry({ path: `f${i}`, type: 'file', size: 0 });
    expect(() => r.addEntry({ path: 'one-more', type: 'file', size: 0 })).toThrow(/more than 100000/);
  });

  test('nothing is created before accept(), and cleanup removes only what it created', async () => {
    const out = await tempDir();
    const r = new FilesReceiver({ outDir: out, force: false });
    r.addEntry({ path: 'p/q/r', type: 'dir', size: 0 });
    r.addEntry({ path: 'p/f', type: 'file', size: 2 });
    const offer = await r.entriesEnd();
    expect(offer).toEqual({ paths: ['p/q/r', 'p/f'], files: 1, directories: 3, totalBytes: 2 });
    expect(await readdir(out)).toEqual([]);
    await r.accept();
    expect(await readdir(join(out, 'p/q'))).toEqual(['r']);
    await r.fileData(Buffer.from('a'));
    await r.cleanup();
    expect(await readdir(out)).toEqual([]);
    await expect(r.fileData(Buffer.from('b'))).rejects.toThrow(/stopped/);
    expect(await readdir(out)).toEqual([]);
  });
});
