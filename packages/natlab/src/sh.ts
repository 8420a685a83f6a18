// Running commands (ip, iptables, nft, tc) and processes inside network namespaces.
import { type ChildProcess, execFile, type SpawnOptions, spawn } from 'node:child_process';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** resolve with the exit code instead of rejecting on a non-zero exit */
  allowFailure?: boolean;
  /** text written to the command's stdin */
  input?: string;
  /** kill the command after this long (default 10 minutes) */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a command to completion; rejects with one line naming the command on failure. */
export function run(cmd: string, args: string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      {
        maxBuffer: 64 * 1024 * 1024,
        timeout: opts.timeoutMs ?? 600_000,
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        const res = { code, stdout: String(stdout), stderr: String(stderr) };
        if (code !== 0 && !opts.allowFailure) {
          const msg = (res.stderr.trim() || res.stdout.trim()).split('\n').slice(-2).join(' | ');
          reject(new Error(`natlab: \`${[cmd, ...args].join(' ')}\` failed (exit ${code}): ${msg}`));
        } else resolve(res);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs a command inside a network namespace (`ip netns exec`). */
export function nsRun(
  netns: string,
  cmd: string,
  args: string[] = [],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  return run('ip', ['netns', 'exec', netns, cmd, ...args], opts);
}

let detachAll = false;

/** The CLI sets this so lab processes outlive it (own process group, not holding the event loop). */
export function setDetachedSpawns(on: boolean): void {
  detachAll = on;
}

export function isDetached(): boolean {
  return detachAll;
}

export function spawnDetachedIfSet(child: ChildProcess): ChildProcess {
  if (detachAll) child.unref();
  return child;
}

/** Starts a process inside a network namespace; `ip netns exec` execs it, so the pid is the command's. */
export function nsSpawn(
  netns: string,
  cmd: string,
  args: string[] = [],
  opts: SpawnOptions = {},
): ChildProcess {
  return spawnDetachedIfSet(
    spawn('ip', ['netns', 'exec', netns, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: detachAll,
      ...opts,
    }),
  );
}

/** Resolves when `line` appears on the child's stdout or stderr; rejects on exit or timeout. */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer): void => {
      seen += d.toString();
      if (pattern.test(seen)) done();
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(
        new Error(`natlab: ${what} exited (code ${code}) before it was ready: ${seen.trim().slice(-300)}`),
      );
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`natlab: ${what} not ready after ${timeoutMs} ms: ${seen.trim().slice(-300)}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    const done = (): void => {
      cleanup();
      resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True when a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, then SIGKILL after graceMs for those still alive. */
export async function killPids(pids: number[], graceMs = 1000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(20);
  for (const pid of pids.filter(isAlive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  const hard = Date.now() + 2000;
  while (pids.some(isAlive) && Date.now() < hard) await sleep(20);
}
