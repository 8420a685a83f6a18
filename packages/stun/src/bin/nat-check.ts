#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { formatNatBehavior } from '../behavior/format.js';
import { discoverNatBehavior } from '../node/nat-discovery.js';

const USAGE = `usage: nat-check --stun HOST:PORT [--local IP] [--timeout MS] [--json]

Measures this host's NAT behaviour (RFC 5780: mapping, filtering, hairpinning, port preservation)
against a STUN server that supports RFC 5780 (coturn with two addresses, or stun-server --alt).
Exit codes: 0 done, 1 the test failed (server unreachable, ...), 2 bad arguments.`;

async function main(): Promise<number> {
  let values: { stun?: string; local?: string; timeout?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        stun: { type: 'string' },
        local: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`nat-check: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.stun === undefined) {
    process.stderr.write(`nat-check: --stun HOST:PORT is required (an RFC 5780 STUN server)\n${USAGE}\n`);
    return 2;
  }
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
    process.stderr.write(
      'nat-check: --timeout takes a positive number of milliseconds, e.g. --timeout 2000\n',
    );
    return 2;
  }
  try {
    const b = await discoverNatBehavior(values.stun, {
      ...(values.local !== undefined ? { localAddress: values.local } : {}),
      ...(timeout !== undefined ? { probeTimeout: timeout } : {}),
    });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(b)}\n`);
      return 0;
    }
    process.stdout.write(formatNatBehavior(b));
    return 0;
  } catch (error) {
    process.stderr.write(`nat-check: ${(error as Error).message}\n`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`nat-check: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
