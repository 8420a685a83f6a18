// Pseudo-TCP benchmark (issue 8, Performance): in one run,
//   loopback 200 MB: libnice<->libnice (C peer), ours<->ours, Linux TCP (node net);
//   impaired path 25 ms each way (50 ms RTT), no loss: ours vs Linux TCP (iperf3 BBR, CUBIC), libnice for information;
//   the same path with 1% random loss each way: ours vs Linux TCP BBR (and CUBIC), vs libnice;
//   CPU per MB and peak memory of our processes.
// Impaired runs use @p2pcat/natlab createImpairedLink (two namespaces, a veth, NFQUEUE delay on
// arrival, nft loss) and are time-bounded. Run as root from bench/pseudotcp: npx tsx run.ts
// Options: --quick (smaller loopback size, shorter impaired runs), --no-impaired, --working-tree
// (measure the checkout instead of the committed HEAD), --repeat N (N loopback rounds of
// libnice then ours, each printed, then the median of the per-round ratios).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPrerequisites, createImpairedLink, type ImpairedLink } from '@p2pcat/natlab';
import { buildNicePeer, NicePeer } from '../../packages/pseudotcp/e2e/nice-peer.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const quick = process.argv.includes('--quick');
const impaired = !process.argv.includes('--no-impaired');
const workingTree = process.argv.includes('--working-tree');
const repeatAt = process.argv.indexOf('--repeat');
const REPEAT = repeatAt >= 0 ? Math.max(1, Number(process.argv[repeatAt + 1])) : 1;
const MB = 1024 * 1024;
const LOOPBACK_BYTES = (quick ? 50 : 200) * MB;
const IMPAIRED_MS = quick ? 10_000 : 20_000;
const IMPAIRED_CAP = 2048 * MB;

interface Measure {
  MBps: number;
  bytes: number;
  ms: number;
  cpuMsPerMB?: number;
  sendCpuMsPerMB?: number;
  recvCpuMsPerMB?: number;
  maxRssMiB?: number;
  note?: string;
}

interface PeerReport {
  bytes: number;
  ms: number;
  cpuMs: number;
  maxRssKiB: number;
  stats?: { retransmits: number; rttMs: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function collect(
  child: ChildProcess,
  timeoutMs: number,
  what: string,
): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: no result within ${timeoutMs} ms; stderr: ${err.slice(-500)}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      if (code === 0) resolve({ out, err });
      else reject(new Error(`${what} exited with ${code}; stderr: ${err.slice(-800)}`));
    });
  });
}

function lastJson(out: string): PeerReport {
  const line = out.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as PeerReport;
}

type Spawner = (cmd: string, args: string[]) => ChildProcess;
const local: Spawner = (cmd, args) => spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: here });
const inNs =
  (link: ImpairedLink, side: 'a' | 'b'): Spawner =>
  (cmd, args) =>
    link.spawn(side, cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: here });

function nodePeer(spawner: Spawner, args: string[]): ChildProcess {
  return spawner(process.execPath, ['--import', 'tsx', join(here, 'peer.ts'), ...args]);
}

/** ours<->ours or node TCP<->TCP; the receiver listens on port 5000, the sender on 5001. */
async function runNode(
  proto: 'ours' | 'tcp',
  send: Spawner,
  recv: Spawner,
  recvHost: string,
  sendHost: string,
  maxBytes: number,
  durationMs: number,
  timeoutMs: number,
): Promise<Measure> {
  const r = nodePeer(recv, [proto, 'receive', '5000', sendHost, '5001', '0', '0']);
  const rDone = collect(r, timeoutMs, `${proto} receiver`);
  await sleep(proto === 'tcp' ? 600 : 300);
  const s = nodePeer(send, [proto, 'send', '5001', recvHost, '5000', String(maxBytes), String(durationMs)]);
  const sDone = collect(s, timeoutMs, `${proto} sender`);
  const [ro, so] = await Promise.all([rDone, sDone]);
  const rr = lastJson(ro.out);
  const sr = lastJson(so.out);
  const mb = rr.bytes / MB;
  return {
    MBps: mb / (rr.ms / 1000),
    bytes: rr.bytes,
    ms: rr.ms,
    sendCpuMsPerMB: sr.cpuMs / mb,
    recvCpuMsPerMB: rr.cpuMs / mb,
    maxRssMiB: Math.max(sr.maxRssKiB, rr.maxRssKiB) / 1024,
    note: sr.stats ? `retransmits ${sr.stats.retransmits}, srtt ${sr.stats.rttMs.toFixed(1)} ms` : undefined,
  };
}

async function runLibnice(
  link: ImpairedLink | undefined,
  maxBytes: number,
  durationMs: number,
  timeoutMs: number,
): Promise<Measure> {
  const time = ['/usr/bin/time', '-f', 'TIME %U %S %M'];
  const ns = (side: 'a' | 'b') => (link ? ['ip', 'netns', 'exec', link[side].netns] : []);
  const recv = new NicePeer({ mode: 'receive', localPort: 5000, prefix: [...ns('b'), ...time], timeoutMs });
  await recv.port;
  const send = new NicePeer({
    mode: 'send',
    connect: true,
    localPort: 5001,
    remoteHost: link ? link.b.address : '127.0.0.1',
    remotePort: 5000,
    bytes: maxBytes,
    durationMs,
    timeoutMs,
    prefix: [...ns('a'), ...time],
  });
  try {
    const [rr, sr] = await Promise.all([recv.result, send.result]);
    if (rr.sha256 !== sr.sha256) throw new Error('libnice<->libnice: sha256 mismatch');
    await Promise.all([recv.exited, send.exited]);
    const cpu = (p: NicePeer) => {
      const m = /TIME ([\d.]+) ([\d.]+) (\d+)/.exec(p.lines.find((l) => l.startsWith('TIME ')) ?? '');
      return m ? { cpuMs: (Number(m[1]) + Number(m[2])) * 1000, rssKiB: Number(m[3]) } : undefined;
    };
    const mb = rr.bytes / MB;
    const sc = cpu(send);
    const rc = cpu(recv);
    return {
      MBps: mb / (rr.ms / 1000),
      bytes: rr.bytes,
      ms: rr.ms,
      sendCpuMsPerMB: sc ? sc.cpuMs / mb : undefined,
      recvCpuMsPerMB: rc ? rc.cpuMs / mb : undefined,
      maxRssMiB: sc && rc ? Math.max(sc.rssKiB, rc.rssKiB) / 1024 : undefined,
    };
  } finally {
    recv.kill();
    send.kill();
  }
}

async function runIperf(link: ImpairedLink, cc: 'bbr' | 'cubic', seconds: number): Promise<Measure> {
  const server = link.spawn('b', 'iperf3', ['-s', '-1', '-p', '5201'], { stdio: 'ignore' });
  await sleep(500);
  try {
    const r = await link.exec('a', 'iperf3', [
      '-c',
      link.b.address,
      '-p',
      '5201',
      '-t',
      String(seconds),
      '-C',
      cc,
      '-J',
    ]);
    const j = JSON.parse(r.stdout) as { end: { sum_received: { bytes: number; seconds: number } } };
    const { bytes, seconds: s } = j.end.sum_received;
    return { MBps: bytes / MB / s, bytes, ms: s * 1000 };
  } finally {
    server.kill('SIGKILL');
  }
}

/** UDP RcvbufErrors of each namespace (/proc/net/snmp is per namespace). */
async function udpRcvbufErrors(link: ImpairedLink): Promise<{ a: number; b: number }> {
  const read = async (side: 'a' | 'b') => {
    const { stdout } = await link.exec(side, 'cat', ['/proc/net/snmp']);
    const rows = stdout.split('\n').filter((l) => l.startsWith('Udp:'));
    const names = rows[0]?.split(/\s+/) ?? [];
    const values = rows[1]?.split(/\s+/) ?? [];
    return Number(values[names.indexOf('RcvbufErrors')] ?? 0);
  };
  return { a: await read('a'), b: await read('b') };
}

const fmt = (m: Measure | undefined) =>
  m
    ? `${m.MBps.toFixed(2).padStart(8)} MB/s  (${(m.bytes / MB).toFixed(1)} MB in ${(m.ms / 1000).toFixed(1)} s)` +
      (m.sendCpuMsPerMB !== undefined
        ? `  cpu send ${m.sendCpuMsPerMB.toFixed(1)} / recv ${m.recvCpuMsPerMB?.toFixed(1)} ms/MB`
        : '') +
      (m.maxRssMiB !== undefined ? `  peak RSS ${m.maxRssMiB.toFixed(0)} MiB` : '') +
      (m.note ? `  [${m.note}]` : '')
    : 'n/a';
const ratio = (a: Measure | undefined, b: Measure | undefined) =>
  a && b && b.MBps > 0 ? `${(a.MBps / b.MBps).toFixed(2)}x` : 'n/a';

async function attempt<T>(what: string, f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    console.log(`  ${what}: FAILED: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

async function main(): Promise<void> {
  // Fresh builds: our package and the libnice C peer. By default the package is built from the
  // committed HEAD (git archive into bench/.work), so that work in progress in the checkout does
  // not change the figures; --working-tree measures the checkout as it is.
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: repo,
    encoding: 'utf8',
  }).trim();
  let module = join(repo, 'packages/pseudotcp/dist/index.js');
  if (workingTree) {
    execFileSync('npx', ['tsc', '-p', join(repo, 'packages/pseudotcp/tsconfig.json')], { stdio: 'inherit' });
  } else {
    const dir = join(repo, 'bench/.work/pseudotcp-head');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync(
      'sh',
      ['-c', `git archive HEAD tsconfig.base.json packages/pseudotcp | tar -x -C ${JSON.stringify(dir)}`],
      {
        cwd: repo,
      },
    );
    execFileSync('npx', ['tsc', '-p', join(dir, 'packages/pseudotcp/tsconfig.json')], { stdio: 'inherit' });
    module = join(dir, 'packages/pseudotcp/dist/index.js');
  }
  process.env.PSEUDOTCP_MODULE = module;
  buildNicePeer();
  console.log(
    `pseudotcp benchmark ${new Date().toISOString()}, ours = ${workingTree ? 'working tree' : `commit ${commit}`}${quick ? ' (quick)' : ''}`,
  );

  console.log(`\nloopback, ${LOOPBACK_BYTES / MB} MB one way`);
  let lbNice: Measure | undefined;
  let lbOurs: Measure | undefined;
  const roundRatios: number[] = [];
  for (let round = 0; round < REPEAT; round++) {
    // Back to back in each round, so that both see about the same load from other processes.
    lbNice = await attempt('libnice<->libnice', () => runLibnice(undefined, LOOPBACK_BYTES, 0, 120_000));
    console.log(`  libnice<->libnice  ${fmt(lbNice)}`);
    lbOurs = await attempt('ours<->ours', () =>
      runNode('ours', local, local, '127.0.0.1', '127.0.0.1', LOOPBACK_BYTES, 0, 120_000),
    );
    console.log(`  ours<->ours        ${fmt(lbOurs)}`);
    if (lbOurs && lbNice) roundRatios.push(lbOurs.MBps / lbNice.MBps);
  }
  if (REPEAT > 1 && roundRatios.length > 0) {
    const sorted = [...roundRatios].sort((x, y) => x - y);
    const median = sorted[Math.floor((sorted.length - 1) / 2)] as number;
    console.log(
      `  ours/libnice per round: ${roundRatios.map((r) => `${r.toFixed(2)}x`).join(' ')}; median ${median.toFixed(2)}x, ` +
        `range ${(sorted[0] as number).toFixed(2)}-${(sorted[sorted.length - 1] as number).toFixed(2)}x`,
    );
  }
  const lbTcp = await attempt('node net TCP', () =>
    runNode('tcp', local, local, '127.0.0.1', '127.0.0.1', LOOPBACK_BYTES, 0, 120_000),
  );
  console.log(`  Linux TCP (net)    ${fmt(lbTcp)}`);
  console.log(`  ratio ours/libnice ${ratio(lbOurs, lbNice)}   ours/TCP ${ratio(lbOurs, lbTcp)}`);

  const paths: { name: string; lossPercent: number }[] = [
    { name: '25 ms each way (50 ms RTT), no loss', lossPercent: 0 },
    { name: '25 ms each way (50 ms RTT), 1% random loss each way', lossPercent: 1 },
  ];
  const pre = checkPrerequisites({ root: true, commands: ['iperf3', 'nft', 'ip'] });
  if (!impaired || pre.skip) {
    console.log(`\nimpaired paths skipped${pre.skip ? `: ${pre.reason}` : ''}`);
    return;
  }
  for (const p of paths) {
    console.log(`\n${p.name}, ${IMPAIRED_MS / 1000} s per run (createImpairedLink, NFQUEUE delay, nft loss)`);
    const link = await createImpairedLink({ delayMs: 25, lossPercent: p.lossPercent });
    try {
      const s = inNs(link, 'a');
      const r = inNs(link, 'b');
      const timeout = IMPAIRED_MS + 90_000;
      const before = await udpRcvbufErrors(link);
      const ours = await attempt('ours', () =>
        runNode('ours', s, r, link.b.address, link.a.address, IMPAIRED_CAP, IMPAIRED_MS, timeout),
      );
      const after = await udpRcvbufErrors(link);
      if (ours) {
        ours.note = `${ours.note ?? ''}; UDP socket-buffer drops: sender ${after.a - before.a}, receiver ${after.b - before.b}`;
      }
      console.log(`  ours (BBR-style)   ${fmt(ours)}`);
      const bbr = await attempt('iperf3 bbr', () => runIperf(link, 'bbr', IMPAIRED_MS / 1000));
      console.log(`  Linux TCP BBR      ${fmt(bbr)}`);
      const cubic = await attempt('iperf3 cubic', () => runIperf(link, 'cubic', IMPAIRED_MS / 1000));
      console.log(`  Linux TCP CUBIC    ${fmt(cubic)}`);
      const nice = await attempt('libnice', () => runLibnice(link, IMPAIRED_CAP, IMPAIRED_MS, timeout));
      console.log(`  libnice<->libnice  ${fmt(nice)}`);
      console.log(
        `  ratio ours/TCP-BBR ${ratio(ours, bbr)}   ours/TCP-CUBIC ${ratio(ours, cubic)}   ours/libnice ${ratio(ours, nice)}`,
      );
    } finally {
      await link.down();
    }
  }
}

await main();
