// Builds what the pseudo-TCP benchmarks run: our package (by default from the committed HEAD, so
// that work in progress does not change the figures) and the lean libnice peer (lean-peer.c),
// compiled once per source hash into bench/.work.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = join(here, '..', '..');
const work = join(repo, 'bench/.work');

/** Compiles @p2pcat/pseudotcp and returns the path of its dist/index.js. */
export function buildOurs(workingTree: boolean): string {
  if (workingTree) {
    execFileSync('npx', ['tsc', '-p', join(repo, 'packages/pseudotcp/tsconfig.json')], { stdio: 'inherit' });
    buildNative(join(repo, 'packages/pseudotcp'));
    return join(repo, 'packages/pseudotcp/dist/index.js');
  }
  const dir = join(work, 'pseudotcp-head');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync(
    'sh',
    ['-c', `git archive HEAD tsconfig.base.json packages/pseudotcp | tar -x -C ${JSON.stringify(dir)}`],
    { cwd: repo },
  );
  execFileSync('npx', ['tsc', '-p', join(dir, 'packages/pseudotcp/tsconfig.json')], { stdio: 'inherit' });
  buildNative(join(dir, 'packages/pseudotcp'));
  return join(dir, 'packages/pseudotcp/dist/index.js');
}

/** The package's optional native addon (sendmmsg/recvmmsg), when its commit has one. */
function buildNative(pkg: string): void {
  const script = join(pkg, 'native/build.mjs');
  if (existsSync(script)) execFileSync(process.execPath, [script], { stdio: 'inherit' });
}

/** Compiles lean-peer.c unless a binary of this exact source exists; returns its path. */
export function buildLeanPeer(): string {
  const source = join(here, 'lean-peer.c');
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const binary = join(work, `lean-peer-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(work, { recursive: true });
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'nice', 'glib-2.0'], { encoding: 'utf8' })
    .trim()
    .split(/\s+/);
  const tmp = `${binary}.${process.pid}`;
  execFileSync('gcc', ['-O2', '-Wall', '-o', tmp, source, ...flags], { stdio: 'inherit' });
  renameSync(tmp, binary); // atomic: a parallel run never starts a half-written binary
  return binary;
}
