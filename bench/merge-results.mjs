#!/usr/bin/env node
// Rebuilds bench/RESULTS.md from each benchmark's own bench/<name>/RESULTS.md (the latest figures
// of each, with their date and machine), so the summary never drifts from the per-bench files.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const parts = [
  '# Benchmark results',
  '',
  'Latest figures of every benchmark, each with the date, the machine and the command that measured it.',
  'Run them with `npx -y pnpm@10.34.8 bench [name...]` (names are the folders under `bench/`), then',
  '`node bench/merge-results.mjs` to refresh this file from `bench/<name>/RESULTS.md`.',
  '',
  "Paths under `/work/` in the records are the benchmark machine's checkouts, named so a run can be",
  'read back: `/work/main` is this repository, `/work/wt/<name>` a second checkout of the branch or',
  'commit the record names (the "before" of an A/B), and `flock /work/wt/bench.lock` the lock that kept',
  'two runs from sharing the CPU. Nothing in them is needed to run a benchmark.',
  '',
];
for (const d of readdirSync(here, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort()) {
  const file = join(here, d, 'RESULTS.md');
  if (!existsSync(file)) continue;
  const body = readFileSync(file, 'utf8').trim().replace(/^# /gm, '### ').replace(/^## /gm, '#### ');
  parts.push(`## bench/${d}`, '', body, '');
}
writeFileSync(join(here, 'RESULTS.md'), `${parts.join('\n').trimEnd()}\n`);
console.log('bench/RESULTS.md rebuilt');
