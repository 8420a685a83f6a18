// ICE connect time on loopback: from "both sides have each other's candidates" to (a) data flowing both
// ways on the chosen pair and (b) the pair nominated on both sides; ours vs libnice (C peer) vs
// werift-ice, measured in the same run. Then CPU used while connected and idle.
// Relayed rows (issue 15, item 6): one side has only a relayed candidate on coturn (loopback), the
// other its host candidate; the TURN permission (and channel) installed when the pair forms (RFC
// 8656 §9/§12, what IceConnection does with a TurnSocket) vs on the first send (the allocation
// handed to ICE without bindChannel/createPermission: the behaviour before), in the same run.
// Run: cd bench/ice-connect && npx tsx run.ts [runs]   (--no-relay skips the relayed rows)

import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { IceConnection, type RelayAllocation } from '@p2pcat/ice';
import { checkPrerequisites, createLab, type Lab, startCoturn } from '@p2pcat/natlab';
import { TurnSocket } from '@p2pcat/turn';
import { buildNicePeer, NicePeer } from '../../packages/ice/e2e/nice-peer.ts';
import { WeriftPeer } from '../../packages/ice/e2e/werift-peer.ts';

const RUNS = Number(process.argv[2] === '--idle' ? 0 : Number(process.argv[2]) || 20);
// --no-idle: connect times only (no CPU-while-idle part, no NAT lab)
const IDLE_MS = 20_000;

interface Sample {
  data: number;
  nominated: number;
  rtt?: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
const p90 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.9))] ?? Number.NaN;
};

function firstMessage(conn: IceConnection, t0: number): Promise<number> {
  return new Promise((r) => conn.once('message', () => r(performance.now() - t0)));
}
function firstSelected(conn: IceConnection, t0: number): Promise<number> {
  return new Promise((r) => {
    if (conn.selectedPair()?.nominated) r(0);
    else conn.once('selected-pair', () => r(performance.now() - t0));
  });
}

async function ours(keep = false): Promise<Sample & { close?: () => void }> {
  const a = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
  const b = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
  const [da, db] = await Promise.all([a.gather(), b.gather()]);
  const t0 = performance.now();
  const got = Promise.all([firstMessage(a, t0), firstMessage(b, t0)]);
  const sel = Promise.all([firstSelected(a, t0), firstSelected(b, t0)]);
  a.setRemoteDescription(db);
  b.setRemoteDescription(da);
  const [ta, tb] = await Promise.all([a.connect(), b.connect()]);
  ta.send(new Uint8Array([0x80, 1]));
  tb.send(new Uint8Array([0x80, 2]));
  const data = Math.max(...(await got));
  const nominated = Math.max(...(await sel));
  const close = () => {
    a.close();
    b.close();
  };
  if (!keep) close();
  return { data, nominated, close };
}

/**
 * Relayed pair: `a` has only a relayed candidate (a TurnSocket on its own UDP socket), `b` its
 * host candidate. atPairing false hides bindChannel/createPermission from ICE, so the permission
 * is created by the allocation's first send, as before issue 15.
 */
async function oursRelayed(turnPort: number, atPairing: boolean): Promise<Sample> {
  const turn = new TurnSocket({
    server: { family: 'IPv4', address: '127.0.0.1', port: turnPort },
    username: 'u',
    password: 'p',
    localAddress: '127.0.0.1',
  });
  await turn.allocate();
  const relay: RelayAllocation = atPairing
    ? turn
    : {
        get relayedAddress() {
          return turn.relayedAddress;
        },
        send: (data, peer) => turn.send(data, peer),
        on: (event, listener) => turn.on(event, listener),
      };
  const a = new IceConnection({ role: 'controlling' });
  const b = new IceConnection({ role: 'controlled', host: { addresses: ['127.0.0.1'] } });
  try {
    a.addRelay(relay);
    a.endOfLocalCandidates();
    const db = await b.gather();
    const da = a.localDescription();
    const t0 = performance.now();
    const got = Promise.all([firstMessage(a, t0), firstMessage(b, t0)]);
    const sel = Promise.all([firstSelected(a, t0), firstSelected(b, t0)]);
    a.setRemoteDescription(db);
    b.setRemoteDescription(da);
    const [ta, tb] = await Promise.all([a.connect(), b.connect()]);
    ta.send(new Uint8Array([0x80, 1]));
    tb.send(new Uint8Array([0x80, 2]));
    const data = Math.max(...(await got));
    const nominated = Math.max(...(await sel));
    return { data, nominated };
  } finally {
    a.close();
    b.close();
    await turn.close().catch(() => {});
  }
}

async function relayedRows(rows: string[], reference: Sample[]): Promise<void> {
  const pre = checkPrerequisites({ commands: ['turnserver'] });
  if (pre.skip) {
    rows.push(`relayed pair: skipped (${pre.reason})`);
    return;
  }
  const coturn = await startCoturn({ users: { u: 'p' }, tls: false });
  const res: Record<'pairing' | 'send', Sample[]> = { pairing: [], send: [] };
  try {
    // One discarded run of each first (JIT, coturn's first allocation), then interleaved, so
    // that load on the machine weighs on both alike.
    await oursRelayed(coturn.port, true);
    await oursRelayed(coturn.port, false);
    for (let i = 0; i < RUNS; i++) {
      res.pairing.push(await oursRelayed(coturn.port, true));
      res.send.push(await oursRelayed(coturn.port, false));
    }
  } finally {
    await coturn.stop();
  }
  rows.push('');
  rows.push(
    `Relayed pair on loopback (coturn ${coturn.port}), ${RUNS} runs each, interleaved: a relay-only agent ↔ a host-only agent`,
  );
  rows.push('| TURN permission | data both ways, median | p90 | nominated both sides, median | p90 |');
  rows.push('| --- | --- | --- | --- | --- |');
  for (const [name, s] of [
    ['installed when the pair forms', res.pairing],
    ['installed on the first send (before)', res.send],
  ] as const) {
    const d = s.map((x) => x.data);
    const n = s.map((x) => x.nominated);
    rows.push(
      `| ${name} | ${median(d).toFixed(1)} | ${p90(d).toFixed(1)} | ${median(n).toFixed(1)} | ${p90(n).toFixed(1)} |`,
    );
  }
  const m = (s: Sample[], k: 'data' | 'nominated') => median(s.map((x) => x[k]));
  rows.push(
    `ratio at-pairing/on-first-send: data ${(m(res.pairing, 'data') / m(res.send, 'data')).toFixed(2)}, nominated ${(m(res.pairing, 'nominated') / m(res.send, 'nominated')).toFixed(2)}`,
  );
  rows.push(
    `ratio relayed (at pairing)/libnice host pair: data ${(m(res.pairing, 'data') / m(reference, 'data')).toFixed(2)}, nominated ${(m(res.pairing, 'nominated') / m(reference, 'nominated')).toFixed(2)}`,
  );
}

async function libnice(keep = false): Promise<Sample & { pids: number[]; close: () => void }> {
  const x = new NicePeer(true, '127.0.0.1', { autosend: true });
  const y = new NicePeer(false, '127.0.0.1', { autosend: true });
  const [dx, dy] = await Promise.all([x.description, y.description]);
  x.setRemote(dy);
  y.setRemote(dx);
  const num = (l: string) => Number(l.split(' ')[1]);
  const [rx, ry, sx, sy] = await Promise.all([
    x.waitFor('recvat'),
    y.waitFor('recvat'),
    x.waitFor('selected'),
    y.waitFor('selected'),
  ]);
  const close = () => {
    x.close();
    y.close();
  };
  const out = {
    data: Math.max(num(rx), num(ry)),
    nominated: Math.max(num(sx), num(sy)),
    pids: [x.proc.pid ?? 0, y.proc.pid ?? 0],
    close,
  };
  if (!keep) close();
  return out;
}

async function werift(keep = false): Promise<Sample & { close: () => Promise<void> }> {
  const x = new WeriftPeer(true);
  const y = new WeriftPeer(false);
  const [dx, dy] = await Promise.all([x.describe(), y.describe()]);
  const t0 = performance.now();
  const got = Promise.all(
    [x, y].map((p) => new Promise<number>((r) => p.conn.onData.once(() => r(performance.now() - t0)))),
  );
  await Promise.all([x.setRemote(dy), y.setRemote(dx)]);
  const connected = await Promise.all(
    [x, y].map((p) =>
      p.conn.connect().then(() => {
        void p.conn.send(Buffer.from([0x80, 1]));
        return performance.now() - t0;
      }),
    ),
  );
  const data = Math.max(...(await got));
  const close = async () => {
    await x.close();
    await y.close();
  };
  if (!keep) await close();
  // werift reports connected only once a pair is nominated.
  return { data, nominated: Math.max(...connected), close };
}

// ---------------------------------------------------------------- NAT lab (root only)

const iceDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'ice');
const LAB_RUNS = 5;
// The lab adds the delay twice per direction on this path (measured RTT is about 4 x delayMs).
const LAB_DELAY = 12.5;

function lines(proc: ChildProcess): (prefix: string, timeoutMs?: number) => Promise<string> {
  const seen: string[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => {
    seen.push(l);
    for (const w of waiters.splice(0)) w();
  });
  return (prefix, timeoutMs = 15_000) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`never saw "${prefix}": ${seen.join(' | ')}`)), timeoutMs);
      const check = () => {
        const l = seen.find((x) => x.startsWith(prefix));
        if (l !== undefined) {
          clearTimeout(t);
          resolve(l);
        } else waiters.push(check);
      };
      check();
    });
}

async function oursInLab(lab: Lab): Promise<Sample> {
  const stun = { family: 'IPv4', address: lab.server.address, port: 3478 };
  const procs = (['h1', 'h2'] as const).map((h, i) =>
    lab.spawn(
      h,
      process.execPath,
      [
        '--import',
        'tsx',
        'e2e/lab-peer.ts',
        JSON.stringify({ role: i === 0 ? 'controlling' : 'controlled', stun }),
      ],
      { cwd: iceDir, stdio: ['pipe', 'pipe', 'inherit'] },
    ),
  );
  const waits = procs.map(lines);
  try {
    const descs = await Promise.all(waits.map((w) => w('desc ')));
    procs[0]?.stdin?.write(`remote ${descs[1]?.slice(5)}\n`);
    procs[1]?.stdin?.write(`remote ${descs[0]?.slice(5)}\n`);
    const num = (l: string) => Number(l.split(' ')[1]);
    const c = await Promise.all(waits.map((w) => w('connected ', 10_000)));
    const sel = await Promise.all(waits.map((w) => w('selected ')));
    const rtt = Number(sel[0]?.split(' rtt ')[1]);
    return { data: Math.max(...c.map(num)), nominated: Math.max(...sel.map(num)), rtt };
  } finally {
    for (const p of procs) p.kill();
  }
}

async function libniceInLab(lab: Lab): Promise<Sample> {
  const peers = (['h1', 'h2'] as const).map(
    (h, i) =>
      new NicePeer(i === 0, lab.hosts[h]?.address ?? '', {
        stunServer: lab.server.address,
        spawner: (cmd, args) => lab.spawn(h, cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] }),
      }),
  );
  try {
    const [x, y] = peers as [NicePeer, NicePeer];
    const [dx, dy] = await Promise.all([x.description, y.description]);
    x.setRemote(dy);
    y.setRemote(dx);
    const num = (l: string) => Number(l.split(' ')[1]);
    const c = await Promise.all(peers.map((p) => p.waitFor('connected ', 10_000)));
    const sel = await Promise.all(peers.map((p) => p.waitFor('selected ')));
    return { data: Math.max(...c.map(num)), nominated: Math.max(...sel.map(num)) };
  } finally {
    for (const p of peers) p.close();
  }
}

async function labBench(rows: string[]): Promise<void> {
  const pre = checkPrerequisites({ root: true, commands: ['turnserver', 'ip', 'iptables', 'nft'] });
  if (pre.skip) {
    rows.push(`NAT lab: skipped (${pre.reason})`);
    return;
  }
  rows.push('');
  rows.push(
    `NAT lab, natlab impairment delayMs ${LAB_DELAY} on every router WAN (RTT measured below), ${LAB_RUNS} runs each;`,
  );
  rows.push(
    'ms from both sides having the candidates (host + server-reflexive) to a valid pair ("data can flow")',
  );
  rows.push('and to the nominated pair, both sides. Target from the issue: 3 RTT + 4 Ta.');
  rows.push(
    '| NATs | agent pair | RTT measured (ours) | data can flow, median | nominated, median | nominated, max |',
  );
  rows.push('| --- | --- | --- | --- | --- | --- |');
  for (const nat of ['full-cone', 'restricted'] as const) {
    const lab = await createLab({ routers: [{ nat }, { nat }], impairment: { delayMs: LAB_DELAY } });
    try {
      const res: Record<string, Sample[]> = { ours: [], libnice: [] };
      const failed: Record<string, string[]> = { ours: [], libnice: [] };
      for (let i = 0; i < LAB_RUNS; i++) {
        for (const [name, run] of [
          ['ours', oursInLab],
          ['libnice', libniceInLab],
        ] as const) {
          try {
            res[name]?.push(await run(lab));
          } catch (e) {
            failed[name]?.push((e as Error).message.slice(0, 200));
          }
        }
      }
      for (const [name, f] of Object.entries(failed))
        if (f.length > 0)
          rows.push(
            `(${nat}/${nat} ${name}: ${f.length} of ${LAB_RUNS} runs did not connect within 10 s: ${f[0]})`,
          );
      for (const [name, s] of Object.entries(res)) {
        const n = s.map((x) => x.nominated);
        const rtt = s.some((x) => x.rtt) ? `${median(s.map((x) => x.rtt ?? 0)).toFixed(0)} ms` : '';
        rows.push(
          `| ${nat}/${nat} | ${name} ↔ ${name} | ${rtt} | ${median(s.map((x) => x.data)).toFixed(0)} | ${median(n).toFixed(0)} | ${Math.max(...n).toFixed(0)} |`,
        );
      }
    } finally {
      await lab.down();
    }
  }
}

function procCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(f[11]) + Number(f[12]);
  return (ticks * 1000) / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
}

/** CPU of a connected, idle pair of agents, measured in a fresh process so earlier runs' garbage does not count. */
async function idleCpuChild(kind: 'ours' | 'werift' | 'baseline'): Promise<number> {
  const r = kind === 'ours' ? await ours(true) : kind === 'werift' ? await werift(true) : { close: () => {} };
  await new Promise((res) => setTimeout(res, 2_000)); // let JIT and GC after connecting settle
  const u0 = process.cpuUsage();
  await new Promise((res) => setTimeout(res, IDLE_MS));
  const u = process.cpuUsage(u0);
  await r.close?.();
  return ((u.user + u.system) / 1000 / IDLE_MS) * 100;
}

async function idleCpu(kind: 'ours' | 'libnice' | 'werift' | 'baseline'): Promise<number> {
  if (kind === 'libnice') {
    const r = await libnice(true);
    await new Promise((res) => setTimeout(res, 2_000));
    const before = r.pids.reduce((s, p) => s + procCpuMs(p), 0);
    await new Promise((res) => setTimeout(res, IDLE_MS));
    const after = r.pids.reduce((s, p) => s + procCpuMs(p), 0);
    r.close();
    return ((after - before) / IDLE_MS) * 100;
  }
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'run.ts', '--idle', kind], {
    encoding: 'utf8',
  });
  return Number(out.trim().split('\n').at(-1));
}

async function main(): Promise<void> {
  if (process.argv.includes('--lab-only')) {
    const labRows: string[] = [];
    await labBench(labRows);
    console.log(labRows.join('\n'));
    process.exit(0);
  }
  buildNicePeer();
  const results: Record<string, Sample[]> = { ours: [], libnice: [], 'werift-ice': [] };
  for (let i = 0; i < RUNS; i++) {
    results.ours?.push(await ours());
    results.libnice?.push(await libnice());
    results['werift-ice']?.push(await werift());
  }
  const rows: string[] = [];
  rows.push(
    `ICE connect on loopback, ${RUNS} runs each, default Ta (50 ms); ms from both sides having the candidates`,
  );
  rows.push('| agent pair | data both ways, median | p90 | nominated both sides, median | p90 |');
  rows.push('| --- | --- | --- | --- | --- |');
  for (const [name, s] of Object.entries(results)) {
    const d = s.map((x) => x.data);
    const n = s.map((x) => x.nominated);
    rows.push(
      `| ${name} ↔ ${name} | ${median(d).toFixed(1)} | ${p90(d).toFixed(1)} | ${median(n).toFixed(1)} | ${p90(n).toFixed(1)} |`,
    );
  }
  const base = results.libnice ?? [];
  const oursS = results.ours ?? [];
  rows.push('');
  rows.push(
    `ratio ours/libnice: data ${(median(oursS.map((x) => x.data)) / median(base.map((x) => x.data))).toFixed(2)}, nominated ${(median(oursS.map((x) => x.nominated)) / median(base.map((x) => x.nominated))).toFixed(2)}`,
  );
  rows.push(
    `ratio ours/werift-ice: data ${(median(oursS.map((x) => x.data)) / median((results['werift-ice'] ?? []).map((x) => x.data))).toFixed(2)}, nominated ${(median(oursS.map((x) => x.nominated)) / median((results['werift-ice'] ?? []).map((x) => x.nominated))).toFixed(2)}`,
  );
  if (!process.argv.includes('--no-relay')) await relayedRows(rows, base);
  if (process.argv.includes('--no-idle')) {
    console.log(rows.join('\n'));
    process.exit(0);
  }
  rows.push('');
  rows.push(
    `CPU while connected and idle (${IDLE_MS / 1000} s window, both agents together, % of one core):`,
  );
  const labels = {
    ours: 'ours (Node process, 2 agents)',
    libnice: 'libnice (2 C processes)',
    werift: 'werift-ice (Node process, 2 agents)',
    baseline: 'baseline: a Node + tsx process with no agent (runtime housekeeping floor)',
  };
  for (const k of ['ours', 'libnice', 'werift', 'baseline'] as const)
    rows.push(`- ${labels[k]}: ${(await idleCpu(k)).toFixed(3)} %`);
  console.log(rows.join('\n'));
  const labRows: string[] = [];
  if (!process.argv.includes('--no-lab')) await labBench(labRows);
  console.log(labRows.join('\n'));
  process.exit(0);
}

if (process.argv[2] === '--idle') {
  const k = process.argv[3];
  console.log(await idleCpuChild(k === 'werift' || k === 'baseline' ? k : 'ours'));
  process.exit(0);
} else await main();
