// Pools the per-run JSON lines that run.ts appends (bench/.work/hard-nat-runs.jsonl) into one table,
// so a bench split into short locked invocations still reports each pair over all its runs.
//   npx tsx pool-runs.ts [file or ''] [since-ISO-time]   (only runs at or after the given time)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Logged {
  at: string;
  pair: string;
  agent: 'p2pcat' | 'libnice' | 'pion';
  ok: boolean;
  ms: number | null;
  datagrams: number | null;
  tried: string;
}

const file = process.argv[2] || fileURLToPath(new URL('../.work/hard-nat-runs.jsonl', import.meta.url));
const since = process.argv[3] ?? '';
const runs = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Logged)
  .filter((r) => r.at >= since);

const finite = (xs: (number | null)[]) => xs.filter((x): x is number => Number.isFinite(x));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor(s.length / 2)] as number) : Number.NaN;
};
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-');

console.log('| pair | agent | connected | median ms | max ms | median datagrams | hard NAT tried |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |');
const pairs = [...new Set(runs.map((r) => r.pair))];
for (const pair of pairs)
  for (const agent of ['p2pcat', 'libnice', 'pion'] as const) {
    const rs = runs.filter((r) => r.pair === pair && r.agent === agent);
    if (!rs.length) continue;
    const ok = rs.filter((r) => r.ok);
    const ms = finite(ok.map((r) => r.ms));
    const tried = [...new Set(rs.map((r) => r.tried).filter(Boolean))].join(', ') || '-';
    const rate = ((100 * ok.length) / rs.length).toFixed(0);
    console.log(
      `| ${pair} | ${agent} | ${ok.length}/${rs.length} (${rate} %) | ${fmt(median(ms))} | ${fmt(ms.length ? Math.max(...ms) : Number.NaN)} | ${fmt(median(finite(rs.map((r) => r.datagrams))))} | ${tried} |`,
    );
  }
