// Connect times in the worlds people live in (issue 14): for each natlab scenario, two real p2pcat
// processes started as people run them (no server options: the lab's resolver answers for the
// default STUN names) and, where libnice can run the same scenario, libnice's own agent (the C test
// peer of packages/ice/e2e, STUN from the lab's coturn, no TURN) on the same hosts, in the same run.
//   ours:    "connected" = from the moment the inviter has the answer to a usable pseudo-TCP stream
//            (p2pcat's own connectMs); "first byte" = from that same moment to the joiner's first
//            received byte (its first progress event), both from the processes' --json events.
//   libnice: "first byte" = from both agents having each other's candidates to data arriving both
//            ways on the chosen pair; "nominated" = to the pair being selected on both sides.
// Run as root from bench/scenarios after a build:  npx tsx run.ts [runs]  (default 3)
import { checkPrerequisites, createLab, type Lab, type LabOptions } from '@p2pcat/natlab';
import { formatMs, inviteAndJoin, jsonEvents, median, niceMs, withNicePair } from '../lab-runs.ts';

const RUNS = Number(process.argv[2]) || 3;

interface Scenario {
  name: string;
  a: string;
  b: string;
  /** extra p2pcat options for the inviter (a TURN URL where the scenario needs one) */
  inviter?: string[];
  common?: string[];
  libnice: boolean;
  why?: string;
}

interface Ours {
  connected: number;
  firstByte: number;
  path: string;
}

async function ours(lab: Lab, s: Scenario): Promise<Ours | string> {
  const base = ['--json', '--timeout', '30', ...(s.common ?? [])];
  const { inviter: i, joiner: j } = await inviteAndJoin(lab, {
    inviter: s.a,
    joiner: s.b,
    inviterArgs: [...base, ...(s.inviter ?? [])],
    joinerArgs: base,
    inputBytes: 100_000,
    killAfterMs: 90_000,
  });
  if (i.code !== 0 || j.code !== 0) return `failed (exit ${i.code}/${j.code})`;
  const conn = jsonEvents(i.err).find((e) => e.event === 'connected');
  const first = jsonEvents(j.err).find(
    (e) => e.event === 'progress' && Number((e as { bytesReceived?: number }).bytesReceived) > 0,
  );
  if (!conn || !first) return 'no timing events';
  const connectMs = Number(conn.connectMs);
  const start = Number(conn.time) - connectMs; // the inviter had the answer
  return { connected: connectMs, firstByte: Number(first.time) - start, path: String(conn.path) };
}

async function libnice(lab: Lab, s: Scenario): Promise<{ firstByte: number; nominated: number } | string> {
  try {
    return await withNicePair(lab, s.a, s.b, async (x, y) => {
      const [rx, ry, sx, sy] = await Promise.all([
        x.waitFor('recvat', 30_000),
        y.waitFor('recvat', 30_000),
        x.waitFor('selected', 30_000),
        y.waitFor('selected', 30_000),
      ]);
      return { firstByte: Math.max(niceMs(rx), niceMs(ry)), nominated: Math.max(niceMs(sx), niceMs(sy)) };
    });
  } catch (e) {
    return `failed (${(e as Error).message})`;
  }
}

const LABS: { title: string; options: LabOptions; scenarios: Scenario[] }[] = [
  {
    title: 'IPv4 lab with DNS',
    options: {
      name: 'bscen4',
      dns: true,
      routers: [
        { nat: 'restricted', hosts: 2 },
        { nat: 'restricted' },
        { nat: 'none' },
        { nat: 'symmetric' },
        { nat: 'full-cone' },
        { nat: 'restricted', lans: 2, hairpin: true },
        { nat: 'restricted', behind: { nat: 'restricted' } },
        { nat: 'restricted', blockUdp: true },
      ],
    },
    scenarios: [
      { name: 'home NAT / home NAT (defaults)', a: 'h1', b: 'h2', libnice: true },
      { name: 'public / symmetric', a: 'h3', b: 'h4', libnice: true },
      { name: 'full cone / symmetric', a: 'h5', b: 'h4', libnice: true },
      { name: 'one LAN', a: 'h1', b: 'h1b', libnice: true },
      { name: 'two LANs, one NAT, hairpinning', a: 'h6', b: 'h6b', libnice: true },
      { name: 'home NAT behind a CGNAT / home NAT', a: 'h7', b: 'h2', libnice: true },
      {
        name: 'UDP blocked, TURN over TCP 443',
        a: 'h8',
        b: 'h2',
        inviter: ['--turn', 'turn:user:pass@stun.cloudflare.com:443?transport=tcp'],
        libnice: false,
        why: 'the libnice test peer has no TURN client',
      },
    ],
  },
  {
    title: 'IPv6 lab (stateful firewalls)',
    options: {
      name: 'bscen6',
      ipv6: true,
      dns: true,
      routers: [{ nat: 'restricted' }, { nat: 'restricted', family: 'ipv6' }],
    },
    scenarios: [
      {
        name: 'dual stack / IPv6-only',
        a: 'h1',
        b: 'h2',
        libnice: false,
        why: 'the libnice test peer binds one IPv4 address',
      },
    ],
  },
  {
    title: 'lossy lab: 300 ms RTT, 5 % loss per access link',
    options: {
      name: 'bscenl',
      dns: true,
      impairment: { delayMs: 75, lossPercent: 5 },
      routers: [{ nat: 'restricted' }, { nat: 'restricted' }],
    },
    scenarios: [
      { name: 'home NAT / home NAT, lossy', a: 'h1', b: 'h2', common: ['--timeout', '60'], libnice: true },
    ],
  },
];

async function main() {
  const pre = checkPrerequisites({ root: true, commands: ['turnserver', 'nft', 'iptables', 'dnsmasq'] });
  if (pre.skip) {
    console.log(`bench/scenarios skipped: ${pre.reason}`);
    return;
  }
  console.log(`bench/scenarios: ${RUNS} runs per scenario, medians (ms); ${new Date().toISOString()}`);
  console.log(
    '| scenario | p2pcat path | p2pcat connected | p2pcat first byte | libnice first byte | libnice nominated | ratio (libnice / p2pcat, first byte) |',
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const l of LABS) {
    const lab = await createLab(l.options);
    try {
      for (const s of l.scenarios) {
        const o: Ours[] = [];
        const n: { firstByte: number; nominated: number }[] = [];
        const fails: string[] = [];
        for (let r = 0; r < RUNS; r++) {
          const a = await ours(lab, s);
          if (typeof a === 'string') fails.push(`p2pcat ${a}`);
          else o.push(a);
          if (s.libnice) {
            const b = await libnice(lab, s);
            if (typeof b === 'string') fails.push(`libnice ${b}`);
            else n.push(b);
          }
        }
        const oc = median(o.map((x) => x.connected));
        const of = median(o.map((x) => x.firstByte));
        const nf = median(n.map((x) => x.firstByte));
        const nn = median(n.map((x) => x.nominated));
        const libCols = s.libnice
          ? [formatMs(nf), formatMs(nn), Number.isFinite(nf / of) ? `${(nf / of).toFixed(1)}x` : '-']
          : ['n/a', 'n/a', `(${s.why})`];
        console.log(
          `| ${s.name} | ${o[0]?.path ?? '-'} | ${formatMs(oc)} | ${formatMs(of)} | ${libCols.join(' | ')} |${fails.length ? ` ${fails.length} failed: ${[...new Set(fails)].join('; ')}` : ''}`,
        );
      }
    } finally {
      await lab.down();
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
