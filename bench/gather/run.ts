// bench/gather: candidate gathering timed in the NAT lab (one LAN host behind a restricted NAT,
// coturn on the lab's internet), @p2pcat/gather against libnice 0.1.21 in the same run.
//   - time to the first candidate (target < 5 ms)
//   - time to all server-reflexive candidates vs one STUN round trip (target: RTT + < 20 ms)
//   - end-of-candidates with one unreachable STUN server (target: its deadline, not more)
//   - a STUN and a UDP TURN server from the same socket vs each alone (target: no slower)
// A second row repeats everything with 25 ms delay each way on the router (RTT + 50 ms).
// Needs root, coturn, gcc and libnice-dev. Run: cd bench/gather && npx tsx run.ts [rounds]
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLab, type Impairment } from '@p2pcat/natlab';

const ROUNDS = Number(process.argv[2] ?? 10);
const STUN_TIMEOUT = 1000;
const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const inLab = here('./in-lab.mjs');
const niceSource = here('./nice-gather.c');
const niceBinary = here('./.build/nice-gather');

interface Times {
  first: number;
  srflx: number;
  relay: number;
  done: number;
}
interface OursRound extends Times {
  candidates: string[];
  failures: string[];
}
interface Ours {
  rtt: number[];
  stun: OursRound[];
  unreachable: OursRound[];
  turn: OursRound[];
  both: OursRound[];
}
type Mode = 'stun' | 'turn' | 'both';
type Nice = Record<Mode, Times[]>;

const median = (xs: number[]): number => {
  const s = xs.filter((x) => x >= 0).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const med = (rows: Times[], k: keyof Times): number => median(rows.map((r) => r[k]));
const ms = (x: number): string => (Number.isNaN(x) ? 'n/a' : x.toFixed(1));
const ratio = (a: number, b: number): string =>
  Number.isNaN(a) || Number.isNaN(b) ? 'n/a' : `${(a / b).toFixed(2)}x`;

function buildNice(): boolean {
  try {
    if (statSync(niceBinary).mtimeMs > statSync(niceSource).mtimeMs) return true;
  } catch {}
  try {
    const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'nice'], { encoding: 'utf8' }).trim();
    execFileSync('sh', ['-c', `mkdir -p .build && gcc -O2 -o "${niceBinary}" "${niceSource}" ${flags}`], {
      cwd: here('.'),
      stdio: 'inherit',
    });
    return true;
  } catch (e) {
    console.error(`libnice reference skipped: cannot build nice-gather.c (${(e as Error).message})`);
    return false;
  }
}

async function measure(impairment: Impairment | undefined, withNice: boolean) {
  const lab = await createLab({
    name: 'bench-gather',
    routers: [{ nat: 'restricted' }],
    coturn: { users: { alice: 'wonderland' }, realm: 'lab.test', tls: false },
    ...(impairment ? { impairment } : {}),
  });
  try {
    const server = lab.server.addresses[0]!;
    const port = lab.coturn!.port;
    const cfg = {
      server,
      port,
      turn: `turn:alice:wonderland@${server}:${port}`,
      // on the lab's internet segment but no machine has it: requests vanish without an answer
      unreachable: '203.0.113.99:3478',
      stunTimeout: STUN_TIMEOUT,
      rounds: ROUNDS,
    };
    const r = await lab.exec('h1', process.execPath, [inLab, JSON.stringify(cfg)], { timeoutMs: 600_000 });
    const ours = JSON.parse(r.stdout) as Ours;
    let nice: Nice | undefined;
    if (withNice) {
      nice = { stun: [], turn: [], both: [] };
      for (const mode of ['stun', 'turn', 'both'] as const) {
        const n = await lab.exec(
          'h1',
          niceBinary,
          [mode, server, String(port), 'alice', 'wonderland', String(ROUNDS)],
          { timeoutMs: 600_000 },
        );
        nice[mode] = n.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Times);
      }
    }
    return { ours, nice, wan: lab.routers[0]!.wanAddress };
  } finally {
    await lab.down();
  }
}

function report(label: string, ours: Ours, nice: Nice | undefined): string[] {
  const rtt = median(ours.rtt);
  const n = (mode: Mode, k: keyof Times): number => (nice ? med(nice[mode], k) : Number.NaN);
  const row = (what: string, value: number, target: string, verdict: string, ref: number): string =>
    `| ${label} | ${what} | ${ms(value)} | ${target} | ${verdict} | ${ms(ref)} | ${ratio(ref, value)} |`;
  const ok = (b: boolean): string => (b ? 'met' : '**missed**');
  const first = med(ours.stun, 'first');
  const srflx = med(ours.stun, 'srflx');
  const unreach = med(ours.unreachable, 'done');
  const stunDone = med(ours.stun, 'done');
  const turnDone = med(ours.turn, 'done');
  const bothDone = med(ours.both, 'done');
  const bothSrflx = med(ours.both, 'srflx');
  const slowerAlone = Math.max(stunDone, turnDone);
  return [
    row('first candidate', first, '< 5', ok(first < 5), n('stun', 'first')),
    row(
      `all srflx (STUN RTT ${ms(rtt)}; +${ms(srflx - rtt)})`,
      srflx,
      `< ${ms(rtt + 20)}`,
      ok(srflx < rtt + 20),
      n('stun', 'srflx'),
    ),
    row('end-of-candidates, STUN alone', stunDone, '', '', n('stun', 'done')),
    row(
      `end-of-candidates, unreachable STUN + STUN (stunTimeout ${STUN_TIMEOUT})`,
      unreach,
      `≈ ${STUN_TIMEOUT}`,
      ok(unreach < STUN_TIMEOUT + 20),
      Number.NaN,
    ),
    row('end-of-candidates, UDP TURN alone', turnDone, '', '', n('turn', 'done')),
    row(
      'end-of-candidates, STUN + UDP TURN (same socket)',
      bothDone,
      `≤ ${ms(slowerAlone)} (slower alone)`,
      `${ok(bothDone <= slowerAlone * 1.05)} (${ratio(bothDone, slowerAlone)} of it)`,
      n('both', 'done'),
    ),
    row('srflx, STUN + UDP TURN', bothSrflx, `≈ ${ms(srflx)}`, '', n('both', 'srflx')),
  ];
}

if (process.getuid?.() !== 0) {
  console.error('bench/gather needs root (network namespaces): run it as root');
  process.exit(1);
}
const withNice = buildNice();
const load0 = loadavg();
const plain = await measure(undefined, withNice);
const delayed = await measure({ delayMs: 25 }, withNice);
const load1 = loadavg();

const lines = [
  `rounds: ${ROUNDS} (medians, after one warm-up round for @p2pcat/gather); machine: ${cpus().length}-core ${process.arch}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average 1 min at start ${load0[0]!.toFixed(1)}, at end ${load1[0]!.toFixed(1)}`,
  `libnice ${withNice ? execFileSync('pkg-config', ['--modversion', 'nice'], { encoding: 'utf8' }).trim() : 'not built'} (NiceAgent RFC 5245, upnp off, one component, same lab, same coturn); times in ms from the gather call`,
  `candidates (one round, no delay): ${plain.ours.both[0]?.candidates.join(', ')}; router WAN ${plain.wan}`,
  '',
  '| link | measure | @p2pcat/gather ms | target ms | target | libnice ms | libnice / ours |',
  '| --- | --- | ---: | --- | --- | ---: | ---: |',
  ...report('no delay', plain.ours, plain.nice),
  ...report('+25 ms each way', delayed.ours, delayed.nice),
];
const failures = [...plain.ours.stun, ...plain.ours.turn, ...plain.ours.both].flatMap((r) => r.failures);
if (failures.length > 0) lines.push('', `unexpected failures: ${[...new Set(failures)].join('; ')}`);
console.log(lines.join('\n'));
console.log('\nraw libnice times per round (ms from the gather call; -1 = none):');
for (const [name, res] of [
  ['no delay', plain],
  ['+25 ms', delayed],
] as const) {
  if (!res.nice) continue;
  for (const mode of ['stun', 'turn', 'both'] as const)
    console.log(
      `  ${name} ${mode}: done ${res.nice[mode].map((t) => t.done.toFixed(0)).join(' ')}; srflx ${res.nice[mode].map((t) => t.srflx.toFixed(0)).join(' ')}; relay ${res.nice[mode].map((t) => t.relay.toFixed(0)).join(' ')}`,
    );
}
