#!/usr/bin/env node
// Runs every benchmark (bench/<name>/run.ts, or only those named on the command line) one after
// another, so that they do not compete for the two cores. Each prints its own figures and ratios.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const names = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'run.ts')))
  .map((d) => d.name)
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();
let failed = 0;
for (const name of names) {
  console.log(`\n=== bench/${name}`);
  const r = spawnSync(join(here, '..', 'node_modules', '.bin', 'tsx'), [join(here, name, 'run.ts')], {
    stdio: 'inherit',
    cwd: join(here, name),
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
