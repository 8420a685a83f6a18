#!/usr/bin/env node
// Runs every package's tests through turbo, then the API reference check (TypeDoc, `pnpm run docs`:
// any warning, such as an undocumented export, fails it), then prints one closing line summed over
// the JSON reports that each vitest run leaves in .reports/, a docs failure counted as one failed
// test. Exits non-zero when anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const reports = join(root, '.reports');
rmSync(reports, { recursive: true, force: true });

const turbo = join(root, 'node_modules', '.bin', 'turbo');
const run = spawnSync(turbo, ['run', 'test', '--concurrency=4', '--continue', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
// The packages are built by now (turbo's test task depends on build). A filtered run (such as
// test:packaging) checks only what it names, so the docs check runs only in the full run. It is
// `pnpm run docs` without writing the HTML (`--emit none` converts and validates the same way).
const docs =
  process.argv.length > 2
    ? undefined
    : spawnSync(join(root, 'node_modules', '.bin', 'typedoc'), ['--logLevel', 'Warn', '--emit', 'none'], {
        cwd: root,
        stdio: 'inherit',
      });
let passed = 0;
let failed = 0;
let skipped = 0;
const perPackage = [];
const failures = [];
if (existsSync(reports)) {
  for (const file of readdirSync(reports).sort()) {
    if (!file.endsWith('.json')) continue;
    try {
      const r = JSON.parse(readFileSync(join(reports, file), 'utf8'));
      passed += r.numPassedTests ?? 0;
      failed += r.numFailedTests ?? 0;
      skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
      perPackage.push(
        `${file.replace(/\.json$/, '')}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`,
      );
      for (const suite of r.testResults ?? []) {
        for (const t of suite.assertionResults ?? []) {
          if (t.status !== 'failed') continue;
          const first = String(t.failureMessages?.[0] ?? '')
            .split('\n')[0]
            .slice(0, 300);
          const took = `after ${Math.round(t.duration ?? 0)} ms`; // a timeout's message is only a stack
          failures.push(
            `${file.replace(/\.json$/, '')} ${suite.name.slice(root.length + 1)}: ${t.fullName} (${took})\n      ${first}`,
          );
        }
      }
    } catch {
      failed += 1;
      perPackage.push(`${file}: unreadable report`);
    }
  }
}
if (docs !== undefined) {
  const ok = docs.status === 0;
  if (ok) passed += 1;
  else failed += 1;
  perPackage.push(`docs: ${ok ? 'TypeDoc passed, 0 warnings' : 'TypeDoc failed'}`);
  if (!ok)
    failures.push('docs pnpm run docs (TypeDoc)\n      warnings or errors above: document every export');
}
console.log('');
for (const line of perPackage) console.log(`  ${line}`);
// The failed tests again, last, so that a log cut to its tail still names them and says why.
for (const line of failures) console.log(`  FAILED ${line}`);
const code = run.status ?? 1;
if (code !== 0 && failed === 0) failed = 1; // a crashed runner counts as a failure
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(code !== 0 || failed > 0 ? 1 : 0);
