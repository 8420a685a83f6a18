#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startStunServer } from '../node/stun-server.js';
import { formatTransportAddress } from '../transaction/address.js';

const USAGE = `usage: stun-server --listen ADDR:PORT [--alt ADDR:PORT] [--no-udp] [--no-tcp] [--software TEXT]

A STUN Binding server (RFC 8489) on UDP and TCP. With --alt (a second IP and a different port) it
also serves RFC 5780 NAT behaviour discovery on the four address/port combinations.
Exit codes: 0 stopped by a signal, 1 could not start, 2 bad arguments.`;

async function main(): Promise<number> {
  let values: {
    listen?: string;
    alt?: string;
    'no-udp'?: boolean;
    'no-tcp'?: boolean;
    software?: string;
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
  let server: Awaited<ReturnType<typeof startStunServer>>;
  try {
    server = await startStunServer({
      listen: values.listen,
      ...(values.alt !== undefined ? { alternate: values.alt } : {}),
      udp: !values['no-udp'],
      tcp: !values['no-tcp'],
      ...(values.software !== undefined ? { software: values.software } : {}),
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

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`stun-server: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
