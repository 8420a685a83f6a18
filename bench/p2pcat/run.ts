// p2pcat benchmark (issue 9, Performance): in one run,
//   loopback: 1 GiB through two p2pcat processes (pipe mode, encrypted), throughput and the peak
//   RSS (VmHWM) of each side; Linux TCP (socat) on loopback for reference;
//   impaired path (natlab createImpairedLink: 25 ms each way = 50 ms RTT, 1% loss each way):
//   p2pcat vs Linux TCP (iperf3 -C bbr, and cubic) on the very same path, with ratios.
// Run as root from bench/p2pcat (builds nothing: build p2pcat first):  npx tsx run.ts [--quick]
// Options: --quick (256 MiB loopback, 50 MiB impaired, 10 s iperf3), --no-impaired,
// --loopback-mib N (loopback size), --repeat N (loopback runs, each printed);
// P2PCAT_NODE_ARGS="--cpu-prof ..." passes node options to both p2pcat processes (profiling;
// "--import <abs path>/probe.mjs" prints CPU, memoryUsage peaks and event-loop delay per side);
// --pseudotcp also runs bench/pseudotcp's peer pair (the pseudo-TCP alone, no ICE, no records)
// over the same impaired path for the same number of bytes.
// On the impaired path each side's UDP counters (/proc/net/snmp in its namespace) and the
// pseudo-TCP counters of p2pcat's 'done' event are printed.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { checkPrerequisites, createImpairedLink } from '@p2pcat/natlab';

const here = dirname(fileURLToPath(import.meta.url));
// The installed command (package.json "bin"): the shim that sets p2pcat's V8 memory flags, then cli.js.
// P2PCAT_CLI points at another build (an A/B of two versions, interleaved by the caller).
const CLI = process.env.P2PCAT_CLI ?? join(here, '..', '..', 'apps', 'p2pcat', 'dist', 'bin.js');
if (process.argv.includes('--help')) {
  console.log(
    'npx tsx run.ts [--quick] [--no-impaired] [--no-loopback] [--loopback-mib N] [--repeat N]\n' +
      '--pseudotcp: the pseudo-TCP alone on the impaired path too; --no-reference: no iperf3 (diagnosis)\n' +
      'env: P2PCAT_CLI=<dist/bin.js> (the build measured), P2PCAT_NODE_ARGS="..." (node options for both sides);\n' +
      'stderr lines of the p2pcat processes that start with "MEM " are printed (memory sampling hooks).',
  );
  process.exit(0);
}
const quick = process.argv.includes('--quick');
const MiB = 1024 * 1024;
const argValue = (name: string): number | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
};
const LOOPBACK_BYTES = (argValue('--loopback-mib') ?? (quick ? 256 : 1024)) * MiB;
const REPEAT = argValue('--repeat') ?? 1;
const impairedRun = !process.argv.includes('--no-impaired');
const NODE_ARGS = (process.env.P2PCAT_NODE_ARGS ?? '').split(' ').filter(Boolean);
// About 20 s at the expected rate, as long as the iperf3 runs it is compared with (a 10 s transfer
// weighs its start-up, probing the path, twice as much).
const IMPAIRED_BYTES = quick ? 50 * MiB : 400 * MiB;
const IPERF_SECONDS = quick ? 10 : 20;
const PSEUDOTCP_ALONE = process.argv.includes('--pseudotcp');

type Spawner = (cmd: string, args: string[], stdio: ('pipe' | 'ignore' | Readable)[]) => ChildProcess;
const local: Spawner = (cmd, args, stdio) => spawn(cmd, args, { stdio });

interface Side {
  code: number | null;
  events: Record<string, unknown>[];
  stderr: string;
  hwmKiB: number;
}

/** Peak RSS: VmHWM of the process, read until it exits (the last value is the peak). */
function watchHwm(pid: number | undefined, into: { hwm: number }): NodeJS.Timeout {
  return setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) into.hwm = Math.max(into.hwm, Number(m[1]));
    } catch {}
  }, 100);
}

function runSide(child: ChildProcess): Promise<Side> {
  const hwm = { hwm: 0 };
  const timer = watchHwm(child.pid, hwm);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearInterval(timer);
      const events = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, events, stderr, hwmKiB: hwm.hwm });
    });
  });
}

/** One p2pcat pipe transfer of `bytes` zero bytes (content is irrelevant: everything is encrypted). */
async function p2pcatRun(
  spawnIn: (side: 'a' | 'b') => Spawner,
  bytes: number,
  opts: string[],
  deadlineMs: number,
): Promise<{ MBps: number; seconds: number; inviter: Side; joiner: Side }> {
  const dir = mkdtempSync(join(tmpdir(), 'p2pcat-bench-'));
  try {
    const invitePath = join(dir, 'invite.txt');
    const answerPath = join(dir, 'answer.txt');
    // As `head -c N /dev/zero | p2pcat --invite` and `p2pcat INVITE > /dev/null`: a kernel pipe
    // from head straight into the inviter, the joiner's output discarded; the count is the
    // joiner's own (the 'done' event). No Node process of the benchmark moves the bytes.
    const feeder = spawn('head', ['-c', String(bytes), '/dev/zero'], { stdio: ['ignore', 'pipe', 'ignore'] });
    if (!feeder.stdout) throw new Error('no pipe from head');
    const inviterChild = spawnIn('a')(
      process.execPath,
      [
        ...NODE_ARGS,
        CLI,
        '--invite',
        '--json',
        '-q',
        '--invite-to',
        invitePath,
        '--answer-from',
        answerPath,
        ...opts,
      ],
      [feeder.stdout, 'ignore', 'pipe'],
    );
    feeder.stdout.destroy(); // the inviter holds the pipe now
    const inviter = runSide(inviterChild);
    for (let i = 0; i < 300 && !existsSync(invitePath); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 50));
    const invite = readFileSync(invitePath, 'utf8').trim();
    const joinerChild = spawnIn('b')(
      process.execPath,
      [...NODE_ARGS, CLI, invite, '--json', '-q', '--answer-to', answerPath, ...opts],
      ['ignore', 'ignore', 'pipe'],
    );
    const joiner = runSide(joinerChild);
    const limit = setTimeout(() => {
      inviterChild.kill('SIGKILL');
      joinerChild.kill('SIGKILL');
    }, deadlineMs);
    const [i, j] = await Promise.all([inviter, joiner]);
    clearTimeout(limit);
    for (const [name, side] of [
      ['sender', i],
      ['receiver', j],
    ] as const)
      for (const l of side.stderr.split('\n')) if (l.startsWith('MEM ')) console.log(`${name}: ${l}`);
    const done = j.events.find((e) => e.event === 'done') as
      | { seconds: number; bytesReceived: number }
      | undefined;
    if (i.code !== 0 || j.code !== 0 || done?.bytesReceived !== bytes)
      throw new Error(
        `p2pcat run failed: inviter ${i.code}, joiner ${j.code}, ${done?.bytesReceived} of ${bytes} bytes\n${i.stderr}\n${j.stderr}`,
      );
    const seconds = done?.seconds ?? Number.NaN;
    const stats = (side: Side) =>
      JSON.stringify(
        (side.events.find((e) => e.event === 'done') as { transport?: unknown } | undefined)?.transport,
      );
    if (process.env.P2PCAT_BENCH_VERBOSE || spawnIn('a') !== local)
      console.log(`  pseudo-TCP counters: sender ${stats(i)}, receiver ${stats(j)}`);
    return { MBps: bytes / 1e6 / seconds, seconds, inviter: i, joiner: j };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Linux TCP on loopback: socat from /dev/zero to a counting reader. */
async function socatLoopback(bytes: number): Promise<number> {
  const port = 40000 + (process.pid % 20000);
  const server = spawn('socat', ['-u', `TCP-LISTEN:${port},reuseaddr`, 'STDOUT'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let got = 0;
  let t0 = 0;
  server.stdout.on('data', (d: Buffer) => {
    if (!t0) t0 = performance.now();
    got += d.length;
  });
  await new Promise((r) => setTimeout(r, 300));
  const client = spawn('sh', ['-c', `head -c ${bytes} /dev/zero | socat -u STDIN TCP:127.0.0.1:${port}`], {
    stdio: 'ignore',
  });
  await new Promise((r) => server.once('close', r));
  client.kill();
  return got / 1e6 / ((performance.now() - t0) / 1000);
}

/** The Udp counters of /proc/net/snmp (InDatagrams, RcvbufErrors, ...). */
function udpCounters(snmp: string): Record<string, number> {
  const lines = snmp.split('\n').filter((l) => l.startsWith('Udp:'));
  const names = (lines[0] ?? '').split(/\s+/).slice(1);
  const values = (lines[1] ?? '').split(/\s+/).slice(1).map(Number);
  const keep = ['InDatagrams', 'OutDatagrams', 'RcvbufErrors', 'SndbufErrors', 'InErrors'];
  return Object.fromEntries(
    names.map((n, i) => [n, values[i] ?? 0]).filter(([n]) => keep.includes(n as string)),
  );
}

/** bench/pseudotcp's peer pair over the impaired link: the pseudo-TCP alone, `bytes` from a to b. */
async function pseudoTcpAlone(
  link: Awaited<ReturnType<typeof createImpairedLink>>,
  bytes: number,
): Promise<{ MBps: number; seconds: number; retransmits: number }> {
  const peer = join(here, '..', 'pseudotcp', 'peer.ts');
  const args = (mode: string, remote: string) => [
    '--import',
    'tsx',
    peer,
    'ours',
    mode,
    '4500',
    remote,
    '4500',
    String(bytes),
    '120000',
  ];
  const out = (c: ChildProcess) =>
    new Promise<string>((resolve) => {
      let s = '';
      c.stdout?.on('data', (d: Buffer) => {
        s += d.toString();
      });
      c.once('close', () => resolve(s));
    });
  const receiver = link.spawn('b', process.execPath, args('receive', link.a.address), {
    stdio: ['ignore', 'pipe', 'ignore'],
    cwd: here,
  });
  const sender = link.spawn('a', process.execPath, args('send', link.b.address), {
    stdio: ['ignore', 'pipe', 'ignore'],
    cwd: here,
  });
  const [r, s] = await Promise.all([out(receiver), out(sender)]);
  const rj = JSON.parse(r.trim().split('\n').pop() ?? '{}') as { bytes: number; ms: number };
  const sj = JSON.parse(s.trim().split('\n').pop() ?? '{}') as { stats?: { retransmits: number } };
  return {
    MBps: rj.bytes / 1e6 / (rj.ms / 1000),
    seconds: rj.ms / 1000,
    retransmits: sj.stats?.retransmits ?? -1,
  };
}

const fmt = (n: number) => n.toFixed(1);
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`build p2pcat first: ${CLI} is missing`);
  console.log(`p2pcat benchmark ${new Date().toISOString()} ${quick ? '(quick)' : ''}`);
  for (let run = 0; run < (process.argv.includes('--no-loopback') ? 0 : REPEAT); run++) {
    const lo = await p2pcatRun(
      () => local,
      LOOPBACK_BYTES,
      ['--no-stun', '--no-portmap', '--loopback'],
      300_000,
    );
    const tcpLo = await socatLoopback(LOOPBACK_BYTES);
    console.log(
      `loopback ${LOOPBACK_BYTES / MiB} MiB: p2pcat ${fmt(lo.MBps)} MB/s (${fmt(lo.seconds)} s), ` +
        `peak RSS sender ${mib(lo.inviter.hwmKiB)}, receiver ${mib(lo.joiner.hwmKiB)}; ` +
        `Linux TCP (socat) ${fmt(tcpLo)} MB/s; ratio p2pcat/TCP ${(lo.MBps / tcpLo).toFixed(3)}x ` +
        `(issue 18 targets: >= 0.8x socat, peak RSS < 64 MiB per side)`,
    );
  }
  if (!impairedRun) return;

  const pre = checkPrerequisites({ root: true, commands: ['iperf3', 'nft', 'iptables'] });
  if (pre.skip) {
    console.log(`impaired path skipped: ${pre.reason}`);
    return;
  }
  const link = await createImpairedLink({ delayMs: 25, lossPercent: 1 });
  try {
    const inNs =
      (side: 'a' | 'b'): Spawner =>
      (cmd, args, stdio) =>
        link.spawn(side, cmd, args, { stdio });
    const udp = async () =>
      Promise.all(
        (['a', 'b'] as const).map(async (side) =>
          udpCounters((await link.exec(side, 'cat', ['/proc/net/snmp'])).stdout),
        ),
      );
    const before = await udp();
    const imp = await p2pcatRun(inNs, IMPAIRED_BYTES, ['--no-stun', '--no-portmap'], 300_000);
    const after = await udp();
    for (const [k, side] of (['sender (a)', 'receiver (b)'] as const).entries()) {
      const d = Object.entries(after[k] ?? {})
        .map(([name, v]) => `${name} ${v - (before[k]?.[name] ?? 0)}`)
        .join(', ');
      console.log(`  UDP counters during the p2pcat run, ${side}: ${d}`);
    }
    const alone = PSEUDOTCP_ALONE ? await pseudoTcpAlone(link, IMPAIRED_BYTES) : undefined;
    link.spawn('b', 'iperf3', ['-s'], { stdio: 'ignore' }); // killed by link.down()
    await new Promise((r) => setTimeout(r, 500));
    const iperf = async (cc: string, attempt = 1): Promise<number> => {
      const r = await link.exec(
        'a',
        'iperf3',
        ['-c', link.b.address, '-t', String(IPERF_SECONDS), '-C', cc, '-J'],
        { timeoutMs: (IPERF_SECONDS + 30) * 1000 },
      );
      const j = JSON.parse(r.stdout) as {
        error?: string;
        end?: { sum_received?: { bits_per_second: number } };
      };
      const bps = j.end?.sum_received?.bits_per_second;
      // Over a lossy path the server may still be closing the previous test: wait and ask again.
      if (bps === undefined && /busy/.test(j.error ?? '') && attempt < 5) {
        await new Promise((res) => setTimeout(res, 2000));
        return iperf(cc, attempt + 1);
      }
      if (bps === undefined) throw new Error(`iperf3 -C ${cc}: ${j.error ?? r.stdout.slice(0, 300)}`);
      return bps / 8 / 1e6;
    };
    // --no-reference: diagnosis runs without the iperf3 references (their ratios then read NaN).
    const noRef = process.argv.includes('--no-reference');
    const bbr = noRef ? Number.NaN : await iperf('bbr');
    const cubic = noRef ? Number.NaN : await iperf('cubic');
    console.log(
      `impaired (50 ms RTT, 1% loss each way), ${IMPAIRED_BYTES / MiB} MiB: p2pcat ${fmt(imp.MBps)} MB/s (${fmt(imp.seconds)} s), ` +
        `peak RSS ${mib(imp.inviter.hwmKiB)} / ${mib(imp.joiner.hwmKiB)}; TCP BBR ${fmt(bbr)} MB/s, CUBIC ${fmt(cubic)} MB/s ` +
        `(iperf3 ${IPERF_SECONDS} s); ratio p2pcat/BBR ${(imp.MBps / bbr).toFixed(2)}x (issue 18 target >= 0.8x), ` +
        `p2pcat/CUBIC ${(imp.MBps / cubic).toFixed(2)}x` +
        (alone
          ? `; pseudo-TCP alone ${fmt(alone.MBps)} MB/s (${fmt(alone.seconds)} s, retransmits ${alone.retransmits}), ratio pseudo-TCP/BBR ${(alone.MBps / bbr).toFixed(2)}x`
          : ''),
    );
  } finally {
    await link.down();
  }
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exitCode = 1;
});
