// Runs one gathering with the options given as JSON in argv[2] and prints the result as JSON.
// Used by the e2e tests inside lab namespaces.
import { gatherCandidates } from '../dist/index.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const t0 = performance.now();
const g = gatherCandidates({ turnTls: { rejectUnauthorized: false }, ...options });
const candidates = (await g.done).map(({ base, ...c }) => ({ ...c, base: base.local }));
const elapsedMs = performance.now() - t0;
const failures = g.failures;
await g.close();
process.stdout.write(`${JSON.stringify({ candidates, failures, elapsedMs })}\n`);
