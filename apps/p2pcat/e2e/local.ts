// Real p2pcat processes on this machine (loopback, no namespaces, no root): for the hostile-chat
// and live-fuzz tests. Each runs in a new session (setsid), so it has no controlling terminal,
// as under a service manager or in CI.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { CLI } from './harness.js';

export const LOCAL = ['--loopback', '--no-stun', '--no-portmap', '-v'];

export interface Proc {
  child: ChildProcess;
  stderr: () => string;
  stdout: () => Buffer;
  done: Promise<{ code: number | null; stderr: string }>;
  kill: () => void;
}

const running = new Set<ChildProcess>();

export function p2pcat(args: string[], stdin: 'pipe' | 'ignore' = 'ignore', env?: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: [stdin, 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, ...env },
  });
  running.add(child);
  let err = '';
  const out: Buffer[] = [];
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.once('close', (code) => {
      running.delete(child);
      resolve({ code, stderr: err });
    }),
  );
  return {
    child,
    stderr: () => err,
    stdout: () => Buffer.concat(out),
    done,
    kill: () => {
      if (child.exitCode === null && child.pid) child.kill('SIGKILL');
    },
  };
}

/** Kills every process started here that still runs (afterEach: also those of failed tests). */
export function killAll(): void {
  for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
}

export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function tokenIn(path: string, ms = 20_000): Promise<string> {
  let text = '';
  await until(
    path,
    async () => {
      if (existsSync(path)) text = (await readFile(path, 'utf8')).trim();
      return text !== '';
    },
    ms,
  );
  return text;
}
