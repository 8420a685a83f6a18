#!/usr/bin/env node
// gather-candidates: prints the candidate table of this machine (what `p2pcat candidates` shows).
import { parseArgs } from 'node:util';
import { gatherCandidates } from '../node/gatherer.js';
import { formatCandidateTable } from '../table.js';

const USAGE = `usage: gather-candidates [--stun HOST:PORT]... [--turn turn:USER:PASS@HOST:PORT[?transport=tcp]]...
                         [--no-portmap] [--ipv4 | --ipv6] [--include-loopback] [--timeout MS] [--json]`;

function main(): Promise<number> | number {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (e) {
    process.stderr.write(`gather-candidates: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const timeout = args.values.timeout === undefined ? 3000 : Number(args.values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    process.stderr.write('gather-candidates: --timeout takes a positive number of milliseconds\n');
    return 2;
  }
  return run(args.values, timeout);
}

function parse() {
  return parseArgs({
    options: {
      stun: { type: 'string', multiple: true },
      turn: { type: 'string', multiple: true },
      'no-portmap': { type: 'boolean' },
      ipv4: { type: 'boolean' },
      ipv6: { type: 'boolean' },
      'include-loopback': { type: 'boolean' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}

async function run(v: ReturnType<typeof parse>['values'], timeout: number): Promise<number> {
  const g = gatherCandidates({
    stunServers: v.stun ?? [],
    turnServers: v.turn ?? [],
    portMapping: !v['no-portmap'],
    ipv4: !v.ipv6,
    ipv6: !v.ipv4,
    includeLoopback: v['include-loopback'] ?? false,
    turnTls: { rejectUnauthorized: false },
    timeout,
  });
  const all = await g.done;
  if (v.json) {
    for (const c of all) {
      const { base, ...rest } = c;
      process.stdout.write(`${JSON.stringify({ ...rest, base: base.local })}\n`);
    }
  } else {
    process.stdout.write(`${formatCandidateTable(all)}\n`);
    for (const f of g.failures) process.stderr.write(`note: ${f.source}: ${f.message}\n`);
  }
  await g.close();
  return all.length > 0 ? 0 : 1;
}

Promise.resolve(main()).then((code) => process.exit(code));
