// Process-pair benchmark (issue 18): libnice's PseudoTcpSocket in a lean poll(2) peer (lean-peer.c)
// against @p2pcat/pseudotcp in the same kind of peer (pipe-peer.mjs): the sender's standard input
// is a file of random bytes in /dev/shm, the receiver's standard output /dev/null (after one
// unmeasured transfer of each into a file, compared with cmp), one
// UDP socket each over loopback, MTU 1400, each side's defaults. Rounds interleave libnice and
// ours; each transfer is checked byte for byte. Throughput = bytes / (first byte received to end of
// stream, as the receiver reports it); CPU = user + system time of each process (getrusage via
// /usr/bin/time), start-up included, per MiB moved.
//   npx tsx pipe.ts [--rounds N] [--mib N] [--working-tree] [--only nice|ours|js] [--prof DIR] [--glib] [--js]
//                   [--before DIR] [--node-args FLAGS]
// "ours" uses the package's native addon (sendmmsg/recvmmsg) when its build has one; --js adds, in
// each round, ours with P2PCAT_NO_NATIVE=1 (node:dgram alone, the fallback path).
// --glib adds, in each round, the old GLib-main-loop libnice peer (packages/pseudotcp/e2e/peer.c,
// generated data instead of stdin, 8 MiB socket buffers), as run.ts measures it.
// --before DIR adds, in each round, ours from another build (DIR: a copy of packages/pseudotcp/dist,
// e.g. of the commit before a change), for before/after figures in the same run.
// --prof runs our peers under node --cpu-prof (profiles in DIR); take its figures as indicative.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NicePeer } from '../../packages/pseudotcp/e2e/nice-peer.ts';
import { buildLeanPeer, buildOurs, repo } from './build.ts';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const ROUNDS = Number(arg('--rounds') ?? 3);
const MIB = Number(arg('--mib') ?? 200);
const only = arg('--only');
const profDir = arg('--prof');
// --node-args 'FLAGS': extra node options for "ours" only (experiments, e.g. a V8 GC flag against --before
// on the same build); never used for the headline figures.
const nodeArgs = (arg('--node-args') ?? '').split(' ').filter((x) => x !== '');
const workingTree = process.argv.includes('--working-tree');
const glib = process.argv.includes('--glib');
const js = process.argv.includes('--js');
const beforeDir = arg('--before');
const M = 1024 * 1024;
const input = `/dev/shm/p2pcat-ptcp-in-${MIB}`;
const output = `/dev/shm/p2pcat-ptcp-out-${process.pid}`;

interface Side {
  cpuMs: number;
  rssKiB: number;
  /** minor page faults (fresh memory touched) */
  faults: number;
}
interface Run {
  MiBps: number;
  ms: number;
  send: Side;
  recv: Side;
}

function ensureInput(): void {
  if (existsSync(input) && statSync(input).size === MIB * M) return;
  const fd = openSync(input, 'w');
  for (let i = 0; i < MIB; i++) writeFileSync(fd, randomBytes(M));
  closeSync(fd);
}

interface Proc {
  child: ChildProcess;
  lines: string[];
  line(prefix: string): Promise<string>;
  exit: Promise<number>;
}

function start(
  cmd: string[],
  stdin: number | 'ignore',
  stdout: number | 'ignore',
  env: NodeJS.ProcessEnv = process.env,
): Proc {
  const [c, ...a] = ['/usr/bin/time', '-f', 'TIME %U %S %M %R', ...cmd] as [string, ...string[]];
  const child = spawn(c, a, { stdio: [stdin, stdout, 'pipe'], cwd: here, env });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buf = '';
  child.stderr?.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  // 'close', not 'exit': the TIME line of /usr/bin/time may still be in the pipe at exit.
  let closed = false;
  const exit = new Promise<number>((r) =>
    child.on('close', (code) => {
      closed = true;
      r(code ?? -1);
    }),
  );
  const line = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no "${prefix}": ${lines.join(' | ')}`)), 120_000);
      const check = () => {
        const l = lines.find((x) => x.startsWith(prefix));
        if (l !== undefined) {
          clearTimeout(t);
          resolve(l);
        } else if (closed) {
          clearTimeout(t);
          reject(new Error(`exited without "${prefix}": ${lines.join(' | ')}`));
        } else waiters.push(check);
      };
      check();
      child.on('close', () => setImmediate(check));
    });
  return { child, lines, line, exit };
}

const side = (p: { lines: string[] }): Side => {
  const m = /TIME ([\d.]+) ([\d.]+) (\d+) ?(\d*)/.exec(p.lines.find((l) => l.startsWith('TIME ')) ?? '');
  if (!m) throw new Error(`no TIME line: ${p.lines.join(' | ')}`);
  return { cpuMs: (Number(m[1]) + Number(m[2])) * 1000, rssKiB: Number(m[3]), faults: Number(m[4] || 0) };
};

type Kind = 'nice' | 'ours' | 'js' | 'before';
const label: Record<Kind | 'glib', string> = {
  nice: 'libnice (lean)',
  ours: 'ours          ',
  js: 'ours, JS only ',
  before: 'ours, before  ',
  glib: 'libnice (GLib)',
};

async function pair(kind: Kind, nice: string, round: number, verify = false): Promise<Run> {
  const prof = (who: string) =>
    profDir
      ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', `${kind}-${who}-${round}.cpuprofile`]
      : [];
  const env =
    kind === 'js'
      ? { ...process.env, P2PCAT_NO_NATIVE: '1' }
      : kind === 'before'
        ? { ...process.env, PSEUDOTCP_MODULE: join(beforeDir ?? '', 'index.js') }
        : process.env;
  const cmd = (mode: 'send' | 'receive', local: number, remote: number) =>
    kind === 'nice'
      ? [nice, mode, String(local), '127.0.0.1', String(remote)]
      : [
          process.execPath,
          ...prof(mode),
          ...(kind === 'ours' ? nodeArgs : []),
          join(here, 'pipe-peer.mjs'),
          mode,
          String(local),
          '127.0.0.1',
          String(remote),
        ];
  const inFd = openSync(input, 'r');
  const outFd = openSync(verify ? output : '/dev/null', 'w');
  try {
    const r = start(cmd('receive', 5000, 5001), 'ignore', outFd, env);
    await r.line('PORT ');
    const s = start(cmd('send', 5001, 5000), inFd, 'ignore', env);
    const [code1, code2] = await Promise.all([s.exit, r.exit]);
    if (code1 !== 0 || code2 !== 0)
      throw new Error(`${kind}: exit ${code1}/${code2}: ${r.lines.join(' | ')}`);
    const m = /RESULT bytes=(\d+) ms=(\d+)/.exec(await r.line('RESULT '));
    const bytes = Number(m?.[1]);
    if (bytes !== MIB * M) throw new Error(`${kind}: received ${bytes} bytes`);
    if (verify) execFileSync('cmp', [input, output]);
    if (kind !== 'nice') {
      const paths = [s, r].map((p) => p.lines.find((l) => l.startsWith('NATIVE '))?.slice(7));
      if (kind === 'js' && paths.some((p) => p !== 'false'))
        throw new Error(`js: P2PCAT_NO_NATIVE=1 did not turn the addon off (${paths})`);
      if (verify)
        console.log(`  ${label[kind].trim()}: native addon in use (sender, receiver): ${paths.join(', ')}`);
    }
    const ms = Number(m?.[2]);
    return { MiBps: MIB / (ms / 1000), ms, send: side(s), recv: side(r) };
  } finally {
    closeSync(inFd);
    closeSync(outFd);
  }
}

/** The old GLib-loop libnice pair (e2e/peer.c) as run.ts drives it: generated bytes, no stdin. */
async function glibPair(): Promise<Run> {
  const time = ['/usr/bin/time', '-f', 'TIME %U %S %M'];
  const recv = new NicePeer({ mode: 'receive', localPort: 5000, prefix: time, timeoutMs: 120_000 });
  await recv.port;
  const send = new NicePeer({
    mode: 'send',
    connect: true,
    localPort: 5001,
    remoteHost: '127.0.0.1',
    remotePort: 5000,
    bytes: MIB * M,
    timeoutMs: 120_000,
    prefix: time,
  });
  try {
    const [rr, sr] = await Promise.all([recv.result, send.result]);
    if (rr.sha256 !== sr.sha256 || rr.bytes !== MIB * M) throw new Error('glib pair: wrong bytes');
    await Promise.all([recv.exited, send.exited]);
    // The TIME line may still be in the pipe at exit: wait for the end of stderr.
    const drained = (p: NicePeer) =>
      p.proc.stderr && !p.proc.stderr.closed
        ? new Promise((r) => p.proc.stderr?.once('close', r))
        : Promise.resolve();
    await Promise.all([drained(recv), drained(send)]);
    const cpu = (p: NicePeer) => side(p);
    return { MiBps: MIB / (rr.ms / 1000), ms: rr.ms, send: cpu(send), recv: cpu(recv) };
  } finally {
    recv.kill();
    send.kill();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
};
const fmt = (r: Run) =>
  `${r.MiBps.toFixed(1).padStart(6)} MiB/s (${(r.ms / 1000).toFixed(2)} s)  cpu send ${(r.send.cpuMs / MIB).toFixed(2)} / ` +
  `recv ${(r.recv.cpuMs / MIB).toFixed(2)} ms/MiB  rss ${(r.send.rssKiB / 1024).toFixed(0)}/${(r.recv.rssKiB / 1024).toFixed(0)} MiB` +
  `  faults ${r.send.faults}/${r.recv.faults}`;

async function main(): Promise<void> {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: repo,
    encoding: 'utf8',
  }).trim();
  process.env.PSEUDOTCP_MODULE = buildOurs(workingTree);
  const nice = buildLeanPeer();
  if (profDir) mkdirSync(profDir, { recursive: true });
  ensureInput();
  console.log(
    `pseudotcp process pair ${new Date().toISOString()}, ${MIB} MiB over loopback, ours = ${workingTree ? 'working tree' : `commit ${commit}`}, ` +
      `load ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}`,
  );
  const runs: Record<Kind | 'glib', Run[]> = { nice: [], ours: [], js: [], before: [], glib: [] };
  const kinds = (
    only ? [only] : ['nice', ...(beforeDir ? ['before'] : []), 'ours', ...(js ? ['js'] : [])]
  ) as Kind[];
  // One transfer of each into a file, compared byte for byte; the measured rounds then write to
  // /dev/null (a tmpfs file costs the receiver page allocation that is no part of pseudo-TCP).
  for (const k of kinds) await pair(k, nice, -1, true);
  console.log(`  verified: ${kinds.join(' and ')} deliver the input byte for byte`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const k of kinds) {
      const r = await pair(k, nice, round);
      runs[k].push(r);
      console.log(`  round ${round + 1} ${label[k]} ${fmt(r)}`);
    }
    if (glib) {
      const r = await glibPair();
      runs.glib.push(r);
      console.log(`  round ${round + 1} libnice (GLib) ${fmt(r)}`);
    }
  }
  const summary = (k: Kind | 'glib') => {
    const rs = runs[k];
    return {
      MiBps: median(rs.map((r) => r.MiBps)),
      send: median(rs.map((r) => r.send.cpuMs / MIB)),
      recv: median(rs.map((r) => r.recv.cpuMs / MIB)),
    };
  };
  for (const k of kinds) {
    const s = summary(k);
    console.log(
      `median ${label[k]} ${s.MiBps.toFixed(1)} MiB/s, cpu send ${s.send.toFixed(2)} / recv ${s.recv.toFixed(2)} ms/MiB`,
    );
  }
  if (glib) {
    const g = summary('glib');
    console.log(
      `median libnice (GLib)  ${g.MiBps.toFixed(1)} MiB/s, cpu send ${g.send.toFixed(2)} / recv ${g.recv.toFixed(2)} ms/MiB`,
    );
  }
  const n = summary('nice');
  for (const k of kinds.filter((x) => x !== 'nice' && runs.nice.length > 0)) {
    const o = summary(k);
    console.log(
      `${label[k].trim()}/libnice: throughput ${(o.MiBps / n.MiBps).toFixed(2)}x; CPU efficiency (libnice ms/MiB over ours) ` +
        `send ${(n.send / o.send).toFixed(2)}x, recv ${(n.recv / o.recv).toFixed(2)}x`,
    );
  }
  if (runs.before.length > 0 && runs.ours.length > 0) {
    const [b, o] = [summary('before'), summary('ours')];
    console.log(
      `ours/before: throughput ${(o.MiBps / b.MiBps).toFixed(2)}x; CPU per MiB send ${(o.send / b.send).toFixed(2)}x, ` +
        `recv ${(o.recv / b.recv).toFixed(2)}x`,
    );
  }
}

try {
  await main();
} finally {
  try {
    execFileSync('rm', ['-f', output]);
  } catch {}
}
