// Through symmetric NATs without a relay (issue 17): success rate, time to connect and datagrams
// spent for p2pcat (its hard-NAT extension on) and, as the reference in the same lab and run,
// libnice's agent (the C test peer of packages/ice/e2e, STUN from the lab's coturn, no TURN).
//   p2pcat:  "connected" = the inviter's connectMs (from having the answer to a usable stream);
//            a run succeeds when both processes exit 0 after a 1 KB pipe.
//   libnice: success = a pair selected on both sides within 10 s of exchanging candidates.
//   datagrams: UDP datagrams both hosts sent during the run (an iptables OUTPUT counter in each
//            host's namespace): gathering, checks, probes, and the 1 KB transfer and close.
// Roles alternate between runs (odd runs: b invites). No TURN server is given to either side.
//   pion:    pion/ice v2 (pion-peer/, built from Debian's golang-github-pion-ice.v2-dev), driven
//            exactly like libnice: success = a pair selected on both sides within 10 s of exchanging
//            candidates; its ms counts from that exchange. Skipped with a reason without Go or pion.
// Run as root from bench/hard-nat after a build:  npx tsx run.ts PAIR [runs] [libniceRuns] [pionRuns]
//   PAIR: one of the keys of PAIRS below, or "all" (default runs 20, libnice runs 5, pion runs as libnice)
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPrerequisites, createLab, type Lab } from '@p2pcat/natlab';
import { formatMs, inviteAndJoin, jsonEvents, median, niceMs, withNicePair } from '../lab-runs.ts';
import { buildPionPeer, PionPeer } from './pion-peer.ts';

const RUNS_LOG =
  process.env.HARD_NAT_RUNS ?? fileURLToPath(new URL('../.work/hard-nat-runs.jsonl', import.meta.url));

interface Pair {
  name: string;
  a: string;
  b: string;
  /** extra p2pcat options on both sides */
  extra?: string[];
}

// h1 restricted, h2 sequential (+10 flows/s of others), h3 random, h4 sequential, h5 restricted, h6 random
const PAIRS: Record<string, Pair> = {
  'restricted-sequential': { name: 'port-restricted / sequential symmetric', a: 'h1', b: 'h2' },
  'restricted-random': { name: 'port-restricted / random symmetric', a: 'h1', b: 'h3' },
  'sequential-sequential': { name: 'sequential / sequential symmetric', a: 'h2', b: 'h4' },
  'sequential-random': { name: 'sequential / random symmetric', a: 'h4', b: 'h3' },
  'random-random': { name: 'random / random symmetric', a: 'h3', b: 'h6' },
  'restricted-restricted': { name: 'port-restricted / port-restricted (control)', a: 'h1', b: 'h5' },
  'restricted-restricted-off': {
    name: 'port-restricted / port-restricted, --no-hard-nat (control)',
    a: 'h1',
    b: 'h5',
    extra: ['--no-hard-nat'],
  },
};

async function counted(lab: Lab, hosts: string[], body: () => Promise<boolean>): Promise<number> {
  for (const h of hosts) await lab.exec(h, 'iptables', ['-w', '-Z', 'OUTPUT']);
  await body();
  let n = 0;
  for (const h of hosts) {
    const out = (await lab.exec(h, 'iptables', ['-w', '-L', 'OUTPUT', '-v', '-x', '-n'])).stdout;
    // the rule's row: packets, bytes, protocol (the header "Chain OUTPUT (policy ACCEPT 17 packets"
    // also contains " 17 ", which made the count NaN whenever a host had sent exactly 17 datagrams)
    const row = out.split('\n').find((l) => /^\s*\d+\s+\d+\s+(udp|17)\s/.test(l));
    n += Number(row?.trim().split(/\s+/)[0] ?? 0);
  }
  return n;
}

interface Run {
  ok: boolean;
  ms: number;
  datagrams: number;
  tried: string;
}

async function p2pcat(lab: Lab, p: Pair, swap: boolean): Promise<Run> {
  const [a, b] = swap ? [p.b, p.a] : [p.a, p.b];
  const c = lab.coturn;
  if (!c) throw new Error('no coturn');
  const common = [
    '--json',
    '-v',
    '--no-portmap',
    '--timeout',
    '15',
    '--stun',
    `${c.addresses[0]}:${c.port}`,
    '--stun',
    `${c.addresses[1]}:${c.port}`,
    ...(p.extra ?? []),
  ];
  let ok = false;
  let ms = Number.NaN;
  let tried = '';
  const datagrams = await counted(lab, [a, b], async () => {
    const { inviter: i, joiner: j } = await inviteAndJoin(lab, {
      inviter: a,
      joiner: b,
      inviterArgs: common,
      joinerArgs: ['--answer-wait', '2', ...common],
      inputBytes: 1000,
      killAfterMs: 60_000,
    });
    ok = i.code === 0 && j.code === 0;
    const connected = jsonEvents(i.err).find((e) => e.event === 'connected');
    if (connected) ms = Number(connected.connectMs);
    // the hard-nat events (--json) of both sides: which strategies ran, or why none did
    const seen: string[] = [];
    for (const e of jsonEvents(`${i.err}\n${j.err}`)) {
      if (e.event !== 'hard-nat') continue;
      if (e.phase === 'started' && e.strategy) seen.push(String(e.strategy));
      if (e.phase === 'skipped') seen.push('not tried');
    }
    tried = [...new Set(seen)].sort().join('+');
    return ok;
  });
  return { ok, ms, datagrams, tried };
}

async function libnice(lab: Lab, p: Pair): Promise<Run> {
  let ok = false;
  let ms = Number.NaN;
  const datagrams = await counted(lab, [p.a, p.b], async () => {
    try {
      ms = await withNicePair(lab, p.a, p.b, async (x, y) => {
        const [sx, sy] = await Promise.all([x.waitFor('selected', 10_000), y.waitFor('selected', 10_000)]);
        return Math.max(niceMs(sx), niceMs(sy));
      });
      ok = true;
    } catch {
      ok = false;
    }
    return ok;
  });
  return { ok, ms, datagrams, tried: '' };
}

// pion/ice v2 in the same pair, driven like libnice() above (STUN from the lab, no TURN, 10 s).
async function pion(lab: Lab, p: Pair, binary: string): Promise<Run> {
  let ok = false;
  let ms = Number.NaN;
  const datagrams = await counted(lab, [p.a, p.b], async () => {
    const [x, y] = [p.a, p.b].map(
      (h, i) =>
        new PionPeer(
          binary,
          i === 0,
          lab.hosts[h]?.address ?? '',
          { autosend: true, stunServer: lab.server.address },
          (cmd, args) => lab.spawn(h, cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] }),
        ),
    ) as [PionPeer, PionPeer];
    try {
      const [dx, dy] = await Promise.all([x.description, y.description]);
      x.setRemote(dy);
      y.setRemote(dx);
      const [sx, sy] = await Promise.all([x.waitFor('selected', 10_000), y.waitFor('selected', 10_000)]);
      ms = Math.max(Number(sx.split(' ')[1]), Number(sy.split(' ')[1]));
      ok = true;
    } catch {
      ok = false;
    } finally {
      x.close();
      y.close();
    }
    return ok;
  });
  return { ok, ms, datagrams, tried: '' };
}

function row(name: string, who: string, runs: Run[]): string {
  const ok = runs.filter((r) => r.ok);
  const tried = [...new Set(runs.map((r) => r.tried).filter(Boolean))].join(', ') || '-';
  const rate = runs.length ? (100 * ok.length) / runs.length : 0;
  return `| ${name} | ${who} | ${ok.length}/${runs.length} (${rate.toFixed(0)} %) | ${formatMs(median(ok.map((r) => r.ms)))} | ${formatMs(Math.max(...ok.map((r) => r.ms)))} | ${formatMs(median(runs.map((r) => r.datagrams)))} | ${tried} |`;
}

async function main() {
  const which = process.argv[2] ?? 'all';
  const runs = process.argv[3] === undefined ? 20 : Number(process.argv[3]);
  const niceRuns = process.argv[4] === undefined ? 5 : Number(process.argv[4]);
  const pionRuns = process.argv[5] === undefined ? niceRuns : Number(process.argv[5]);
  const pairs = which === 'all' ? Object.keys(PAIRS) : which.split(',');
  for (const k of pairs)
    if (!PAIRS[k]) throw new Error(`unknown pair ${k} (${Object.keys(PAIRS).join(', ')})`);
  const pre = checkPrerequisites({
    root: true,
    commands: ['turnserver', 'nft', 'iptables', 'gcc', 'pkg-config'],
  });
  if (pre.skip) {
    console.log(`bench/hard-nat skipped: ${pre.reason}`);
    return;
  }
  const pionBuild = pionRuns > 0 ? buildPionPeer() : { skip: 'pion runs: 0' };
  if (pionBuild.skip) console.log(`pion/ice rows skipped: ${pionBuild.skip}`);
  mkdirSync(dirname(RUNS_LOG), { recursive: true });
  const lab = await createLab({
    name: 'bhardnat',
    routers: [
      { nat: 'restricted' },
      { nat: 'symmetric-sequential', crossTraffic: 10 },
      { nat: 'symmetric' },
      { nat: 'symmetric-sequential' },
      { nat: 'restricted' },
      { nat: 'symmetric' },
    ],
  });
  try {
    for (const h of ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'])
      await lab.exec(h, 'iptables', ['-w', '-A', 'OUTPUT', '-p', 'udp']);
    console.log(
      `bench/hard-nat ${pairs.join(',')}: ${runs} p2pcat runs, ${niceRuns} libnice runs, ${pionBuild.binary ? pionRuns : 0} pion runs; ${new Date().toISOString()}`,
    );
    console.log('| pair | agent | connected | median ms | max ms | median datagrams | hard NAT tried |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |');
    for (const k of pairs) {
      const p = PAIRS[k] as Pair;
      const ours: Run[] = [];
      const ref: Run[] = [];
      for (let r = 0; r < runs; r++) ours.push(await p2pcat(lab, p, r % 2 === 1));
      if (!k.endsWith('-off')) for (let r = 0; r < niceRuns; r++) ref.push(await libnice(lab, p));
      const pionRef: Run[] = [];
      if (pionBuild.binary && !k.endsWith('-off'))
        for (let r = 0; r < pionRuns; r++) pionRef.push(await pion(lab, p, pionBuild.binary));
      if (ours.length) console.log(row(p.name, 'p2pcat', ours));
      if (ref.length) console.log(row(p.name, 'libnice (reference)', ref));
      if (pionRef.length) console.log(row(p.name, 'pion/ice (reference)', pionRef));
      // one JSON line per run (bench/.work/hard-nat-runs.jsonl, or $HARD_NAT_RUNS), to pool the runs
      // of several short invocations (each under the bench lock) into one table
      const at = new Date().toISOString();
      for (const [agent, rs] of [
        ['p2pcat', ours],
        ['libnice', ref],
        ['pion', pionRef],
      ] as const)
        for (const r of rs) appendFileSync(RUNS_LOG, `${JSON.stringify({ at, pair: k, agent, ...r })}\n`);
      const a = runs ? (100 * ours.filter((r) => r.ok).length) / runs : Number.NaN;
      const b = ref.length ? (100 * ref.filter((r) => r.ok).length) / ref.length : Number.NaN;
      const c = pionRef.length ? (100 * pionRef.filter((r) => r.ok).length) / pionRef.length : Number.NaN;
      console.log(
        `|   | ratio | success ${formatMs(a)} % vs ${formatMs(b)} % (libnice) vs ${formatMs(c)} % (pion) | | | | |`,
      );
    }
  } finally {
    await lab.down();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
