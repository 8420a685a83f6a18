// What bench/scenarios and bench/hard-nat both do in a natlab lab: run two p2pcat processes as
// people run them (the inviter writes its invite to a file, the joiner starts with it and writes its
// answer where the inviter reads it), and libnice's test agent (the C peer of packages/ice/e2e, STUN
// from the lab's server) on two hosts; plus the median and the --json event parsing they share.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from '@p2pcat/natlab';
import { NicePeer } from '../packages/ice/e2e/nice-peer.ts';

/** p2pcat's built command line (run `pnpm build` first). */
export const P2PCAT_CLI = fileURLToPath(new URL('../apps/p2pcat/dist/bin.js', import.meta.url));

/** The median of the finite values, NaN when there is none. */
export function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? (s[Math.floor(s.length / 2)] as number) : Number.NaN;
}

/** Whole milliseconds, or '-' for NaN. */
export const formatMs = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : '-');

/** The JSON lines (p2pcat --json events) of a process's standard error. */
export function jsonEvents(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n'))
    if (line.startsWith('{'))
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {}
  return out;
}

/** How a p2pcat process ended: its exit code and its standard error. */
export interface Exit {
  code: number | null;
  err: string;
}

/** One invite and its answer between two hosts of a lab. */
export interface InviteAndJoin {
  inviter: string;
  joiner: string;
  /** options of the inviter besides --invite, --invite-to and --answer-from */
  inviterArgs: string[];
  /** options of the joiner besides the invite and --answer-to */
  joinerArgs: string[];
  /** bytes the inviter sends (a file on its standard input) */
  inputBytes: number;
  /** each process is killed after this many ms */
  killAfterMs: number;
}

/** Runs the inviter, then the joiner once the invite is written; resolves when both exited. */
export async function inviteAndJoin(lab: Lab, o: InviteAndJoin): Promise<{ inviter: Exit; joiner: Exit }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-lab-'));
  try {
    const invitePath = join(dir, 'invite');
    const answerPath = join(dir, 'answer');
    const input = join(dir, 'in');
    writeFileSync(input, Buffer.alloc(o.inputBytes, 7));
    const run = (host: string, args: string[], stdinFile: string) =>
      new Promise<Exit>((resolve) => {
        const child = lab.spawn(
          host,
          'sh',
          ['-c', `exec "$0" "$@" < ${stdinFile} > /dev/null`, process.execPath, P2PCAT_CLI, ...args],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
        let err = '';
        child.stderr?.on('data', (d: Buffer) => {
          err += d.toString();
        });
        const kill = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs);
        child.on('close', (code) => {
          clearTimeout(kill);
          resolve({ code, err });
        });
      });
    const inviter = run(
      o.inviter,
      ['--invite', '--invite-to', invitePath, '--answer-from', answerPath, ...o.inviterArgs],
      input,
    );
    let invite = '';
    for (let i = 0; i < 400 && !invite; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        invite = readFileSync(invitePath, 'utf8').trim();
      } catch {}
    }
    const joiner = run(o.joiner, [invite, '--answer-to', answerPath, ...o.joinerArgs], '/dev/null');
    const [i, j] = await Promise.all([inviter, joiner]);
    return { inviter: i, joiner: j };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * libnice's test agent on hosts `a` (controlling) and `b`, candidates exchanged, data sent both ways
 * once a pair works; `body` waits for what it measures. Both agents are closed afterwards.
 */
export async function withNicePair<T>(
  lab: Lab,
  a: string,
  b: string,
  body: (x: NicePeer, y: NicePeer) => Promise<T>,
): Promise<T> {
  const [x, y] = [a, b].map(
    (h, i) =>
      new NicePeer(i === 0, lab.hosts[h]?.address ?? '', {
        autosend: true,
        stunServer: lab.server.address,
        spawner: (cmd, args) => lab.spawn(h, cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] }),
      }),
  ) as [NicePeer, NicePeer];
  try {
    const [dx, dy] = await Promise.all([x.description, y.description]);
    x.setRemote(dy);
    y.setRemote(dx);
    return await body(x, y);
  } finally {
    x.close();
    y.close();
  }
}

/** The time (ms) on a NicePeer event line ("selected 1234 ..."). */
export const niceMs = (line: string): number => Number(line.split(' ')[1]);
