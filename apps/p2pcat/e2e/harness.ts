// Runs two real p2pcat processes inside natlab hosts, exchanging invite and answer through files.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from '@p2pcat/natlab';

export const CLI = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Where peers run: a natlab Lab, or an impaired link wrapped as { spawn }. */
export interface Net {
  spawn(host: string, cmd: string, args: string[], opts: SpawnOptions): ChildProcess;
}

export interface PeerSpec {
  host: string;
  args: string[];
  /** file given as standard input (default /dev/null) */
  stdin?: string;
  /** file that receives standard output (default: discarded) */
  stdout?: string;
  cwd?: string;
  /** extra environment variables (e.g. NODE_EXTRA_CA_CERTS), on top of this process's */
  env?: Record<string, string>;
}

export interface PeerResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  done: Promise<PeerResult>;
}

const workDirs: string[] = [];

export async function workDir(tag: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `p2pcat-e2e-${process.pid}-${tag}-`));
  workDirs.push(dir);
  return dir;
}

/** Removes every work directory made so far (afterAll: also those of failed tests). */
export async function removeWorkDirs(): Promise<void> {
  for (const d of workDirs.splice(0)) await rm(d, { recursive: true, force: true });
}

/** Starts `node cli.js ARGS` in a lab host with files for stdin/stdout; stderr is collected. */
export function startPeer(lab: Net, spec: PeerSpec): Running {
  const inFd = openSync(spec.stdin ?? '/dev/null', 'r');
  const outFd = openSync(spec.stdout ?? '/dev/null', 'w');
  const child = lab.spawn(spec.host, process.execPath, [CLI, ...spec.args], {
    stdio: [inFd, outFd, 'pipe'],
    cwd: spec.cwd,
    ...(spec.env ? { env: { ...process.env, ...spec.env } } : {}),
  });
  closeSync(inFd);
  closeSync(outFd);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<PeerResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, done };
}

export async function waitForFile(path: string, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (existsSync(path)) {
      const t = (await readFile(path, 'utf8')).trim();
      if (t) return t;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path} did not appear within ${timeoutMs} ms`);
}

export interface PairSpec {
  dir: string;
  /** arguments both sides get (--stun, --turn, --no-portmap, --timeout ...) */
  common: string[];
  inviter: PeerSpec;
  joiner: PeerSpec;
  /** both are killed (SIGKILL) after this long; default 100 s */
  timeoutMs?: number;
  /**
   * How the joiner's answer reaches the inviter: at once through the file (default), after a
   * delay (a human pasting it late), or never (only the in-band path can deliver it).
   */
  answer?: { delayMs: number } | 'in-band-only';
}

/** Inviter writes the invite to a file, joiner reads it, answer comes back through a file. */
export async function runPair(
  lab: Net,
  spec: PairSpec,
): Promise<{ inviter: PeerResult; joiner: PeerResult; invite: string }> {
  const invitePath = join(spec.dir, 'invite.txt');
  const answerPath = join(spec.dir, 'answer.txt');
  const inviter = startPeer(lab, {
    ...spec.inviter,
    args: [
      '--invite',
      '--invite-to',
      invitePath,
      '--answer-from',
      answerPath,
      ...spec.common,
      ...spec.inviter.args,
    ],
  });
  let invite: string;
  try {
    invite = await Promise.race([
      waitForFile(invitePath, 30_000),
      inviter.done.then((r) => {
        throw new Error(`inviter exited early (${r.code}): ${r.stderr}`);
      }),
    ]);
  } catch (e) {
    inviter.child.kill('SIGKILL');
    throw e;
  }
  // The joiner writes its own file; it reaches the inviter's at once, later, or never.
  const joinerAnswerPath = spec.answer ? join(spec.dir, 'answer-joiner.txt') : answerPath;
  const joiner = startPeer(lab, {
    ...spec.joiner,
    args: [invite, '--answer-to', joinerAnswerPath, ...spec.common, ...spec.joiner.args],
  });
  const answer = spec.answer;
  if (answer && answer !== 'in-band-only') {
    void waitForFile(joinerAnswerPath, 30_000)
      .then(async (text) => {
        await new Promise((r) => setTimeout(r, answer.delayMs));
        writeFileSync(answerPath, `${text}\n`);
      })
      .catch(() => {});
  }
  const limit = setTimeout(() => {
    inviter.child.kill('SIGKILL');
    joiner.child.kill('SIGKILL');
  }, spec.timeoutMs ?? 100_000);
  const [i, j] = await Promise.all([inviter.done, joiner.done]);
  clearTimeout(limit);
  return { inviter: i, joiner: j, invite };
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Writes `bytes` of deterministic pseudo-random content (fast: a repeated-hash stream). */
export function writeRandomFile(path: string, bytes: number, seed: string): void {
  const block = Buffer.alloc(1 << 20);
  let state = createHash('sha256').update(seed).digest();
  for (let off = 0; off < block.length; off += 32) {
    state = createHash('sha256').update(state).digest();
    state.copy(block, off);
  }
  const fd = openSync(path, 'w');
  try {
    let left = bytes;
    let i = 0;
    while (left > 0) {
      const n = Math.min(left, block.length);
      // vary each MiB so that a reordered block would change the hash
      block.writeUInt32BE(i++, 0);
      writeFileSync(fd, block.subarray(0, n));
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Standard arguments: the lab's coturn as STUN server, no port mapping, a bounded timeout. */
export function labArgs(
  lab: Lab,
  extra: { turn?: boolean | 'tcp' | 'tls'; portmap?: boolean } = {},
): string[] {
  const c = lab.coturn;
  if (!c) throw new Error('the lab has no coturn');
  const args = ['--stun', `${c.addresses[0]}:${c.port}`, '--timeout', '30', '-v'];
  if (!extra.portmap) args.push('--no-portmap');
  if (extra.turn) {
    const [user, pass] = Object.entries(c.users)[0] ?? ['user', 'pass'];
    if (extra.turn === 'tls') {
      if (c.tlsPort === undefined) throw new Error('the lab coturn has no TLS listener');
      // natlab's certificate is self-signed
      args.push('--turn', `turns:${user}:${pass}@${c.addresses[0]}:${c.tlsPort}`, '--turn-insecure');
    } else {
      const transport = extra.turn === 'tcp' ? '?transport=tcp' : '';
      args.push('--turn', `turn:${user}:${pass}@${c.addresses[0]}:${c.port}${transport}`);
    }
  }
  return args;
}

/**
 * Makes a lab router drop unsolicited UDP to itself on the WAN side before conntrack confirms an
 * entry for it (filter INPUT), as home routers do. Without it, a peer's check that arrives before
 * our own first packet leaves a conntrack entry that makes MASQUERADE choose another port.
 */
export async function dropUnsolicited(lab: Lab, router: string): Promise<void> {
  await lab.exec(router, 'iptables', [
    '-A',
    'INPUT',
    '-i',
    'eth0',
    '-p',
    'udp',
    '-m',
    'conntrack',
    '--ctstate',
    'NEW',
    '-j',
    'DROP',
  ]);
}
