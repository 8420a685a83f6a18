#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { formatTransportAddress } from '../address.js';
import { startStunServer } from '../node/stun-server.js';
import { DEFAULT_SOURCE_RATE_LIMIT, type SourceRateLimit } from '../server/rate-limiter.js';

const USAGE = `usage: stun-server --listen ADDR:PORT [--alt ADDR:PORT] [--no-udp] [--no-tcp] [--software TEXT]
                   [--rate N] [--burst N] [--max-sources N] [--no-rate-limit]

A STUN Binding server (RFC 8489) on UDP and TCP. With --alt (a second IP and a different port) it
also serves RFC 5780 NAT behaviour discovery on the four address/port combinations.
No answer is larger than its request except a Binding success response. Each source IP (IPv6: /64)
gets at most --rate answers/s over UDP (default ${DEFAULT_SOURCE_RATE_LIMIT.rate}) in bursts of --burst (default ${DEFAULT_SOURCE_RATE_LIMIT.burst}); --max-sources
(default ${DEFAULT_SOURCE_RATE_LIMIT.maxSources}) bounds the table. NODE_DEBUG=stun-server logs failed sends.
Exit codes: 0 stopped by a signal, 1 could not start, 2 bad arguments.`;

async function main(): Promise<number> {
  let values: {
    listen?: string;
    alt?: string;
    'no-udp'?: boolean;
    'no-tcp'?: boolean;
    software?: string;
    rate?: string;
    burst?: string;
    'max-sources'?: string;
    'no-rate-limit'?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        listen: { type: 'string' },
        alt: { type: 'string' },
        'no-udp': { type: 'boolean' },
        'no-tcp': { type: 'boolean' },
        software: { type: 'string' },
        rate: { type: 'string' },
        burst: { type: 'string' },
        'max-sources': { type: 'string' },
        'no-rate-limit': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`stun-server: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.listen === undefined) {
    process.stderr.write(`stun-server: --listen ADDR:PORT is required\n${USAGE}\n`);
    return 2;
  }
  let rateLimit: SourceRateLimit | false;
  try {
    rateLimit = values['no-rate-limit']
      ? false
      : {
          rate: numberOption('--rate', values.rate, DEFAULT_SOURCE_RATE_LIMIT.rate, false),
          burst: numberOption('--burst', values.burst, DEFAULT_SOURCE_RATE_LIMIT.burst, true),
          maxSources: numberOption(
            '--max-sources',
            values['max-sources'],
            DEFAULT_SOURCE_RATE_LIMIT.maxSources,
            true,
          ),
        };
  } catch (error) {
    process.stderr.write(`stun-server: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  let server: Awaited<ReturnType<typeof startStunServer>>;
  try {
    server = await startStunServer({
      listen: values.listen,
      ...(values.alt !== undefined ? { alternate: values.alt } : {}),
      udp: !values['no-udp'],
      tcp: !values['no-tcp'],
      ...(values.software !== undefined ? { software: values.software } : {}),
      rateLimit,
    });
  } catch (error) {
    process.stderr.write(`stun-server: ${(error as Error).message}\n`);
    return 1;
  }
  const protocols = [values['no-udp'] ? '' : 'udp', values['no-tcp'] ? '' : 'tcp'].filter(Boolean).join('+');
  for (const a of server.addresses)
    process.stdout.write(`stun-server: listening on ${protocols} ${formatTransportAddress(a)}\n`);
  if (server.alternate) process.stdout.write('stun-server: RFC 5780 enabled\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}

function numberOption(name: string, text: string | undefined, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new Error(`${name} ${text}: expected a positive ${integer ? 'integer' : 'number'}`);
  return n;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`stun-server: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
