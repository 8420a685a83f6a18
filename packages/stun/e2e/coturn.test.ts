// e2e: our client against coturn (turnserver) on loopback, and coturn's turnutils_stunclient
// against our server.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Coturn, checkPrerequisites, startCoturn } from '@p2pcat/natlab';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  discoverNatBehavior,
  type RunningStunServer,
  StunClient,
  startStunServer,
  stunBinding,
  transportAddressFromNode,
} from '../src/index.js';

const run = promisify(execFile);
const pre = checkPrerequisites({ commands: ['turnserver', 'turnutils_stunclient'] });

describe.skipIf(pre.skip)('our STUN client against coturn on loopback', () => {
  let coturn: Coturn;
  beforeAll(async () => {
    // natlab's coturn on 127.0.0.1 and 127.0.0.2 (two addresses and an alternate port: RFC 5780)
    coturn = await startCoturn({ tls: false, extraArgs: ['--no-software-attribute'] });
  });
  afterAll(async () => {
    await coturn?.stop();
  });

  test('Binding over UDP returns our mapped address', async () => {
    const [r] = await stunBinding([`127.0.0.1:${coturn.port}`], { deadline: 3000 });
    expect(r?.error).toBeUndefined();
    expect(r?.mapped?.address).toBe('127.0.0.1');
    expect(r?.mapped?.port).toBe(r?.local?.port);
  });

  test('Binding over TCP (RFC 8489 framing)', async () => {
    const [r] = await stunBinding([`127.0.0.1:${coturn.port}`], { deadline: 3000, transport: 'tcp' });
    expect(r?.error).toBeUndefined();
    expect(r?.mapped).toEqual(r?.local);
  });

  test('several servers in parallel, one of them silent', async () => {
    const started = Date.now();
    const results = await stunBinding(
      [`127.0.0.1:${coturn.port}`, `127.0.0.2:${coturn.port}`, `127.0.0.1:${coturn.altPort}`, '127.0.0.3:9'],
      { deadline: 1500 },
    );
    expect(Date.now() - started).toBeLessThan(4000);
    expect(results.slice(0, 3).map((r) => r.mapped?.address)).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
    ]);
    expect(results[3]?.error?.message).toMatch(/no answer/);
  });

  test('a client on a socket the caller owns, fed by the caller', async () => {
    const { createSocket } = await import('node:dgram');
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const client = new StunClient({ send: (data, to) => socket.send(data, to.port, to.address) });
    let other = 0;
    socket.on('message', (msg, rinfo) => {
      if (!client.handleMessage(new Uint8Array(msg), transportAddressFromNode(rinfo.address, rinfo.port)))
        other++;
    });
    try {
      const r = await client.binding({ family: 'IPv4', address: '127.0.0.1', port: coturn.port });
      expect(r.message.class).toBe('success');
      expect(r.message.get('XOR_MAPPED_ADDRESS')?.port).toBe(socket.address().port);
      expect(other).toBe(0);
    } finally {
      client.close();
      socket.close();
    }
  });

  test('NAT behaviour discovery against coturn with two addresses: no NAT on loopback', async () => {
    const b = await discoverNatBehavior(`127.0.0.1:${coturn.port}`, { probeTimeout: 1000, rto: 100 });
    expect(b.rfc5780).toBe(true);
    expect(b.natPresent).toBe(false);
    expect(b.mapping).toBe('no-nat');
    expect(b.filtering).toBe('endpoint-independent');
  });
});

describe.skipIf(pre.skip)('coturn turnutils_stunclient against our server', () => {
  let server: RunningStunServer;
  beforeAll(async () => {
    server = await startStunServer({ listen: '127.0.0.1:0', alternate: '127.0.0.2:0' });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('it gets its reflexive address and the RFC 5780 attributes', async () => {
    const { stdout } = await run('turnutils_stunclient', ['-p', String(server.primary.port), '127.0.0.1'], {
      timeout: 10_000,
    });
    expect(stdout).toMatch(/UDP reflexive addr: 127\.0\.0\.1:\d+/);
    expect(stdout).toContain(`Response origin: : 127.0.0.1:${server.primary.port}`);
    expect(stdout).toContain(`Other addr: : 127.0.0.2:${server.alternate?.port}`);
    // The CHANGE-REQUEST answer comes from the alternate address.
    expect(stdout).toContain(`Response origin: : 127.0.0.2:${server.alternate?.port}`);
    expect(server.stats.success).toBeGreaterThanOrEqual(3);
  });
});

const preTls = checkPrerequisites({ commands: ['turnserver', 'openssl'] });

describe.skipIf(preTls.skip)('our STUN client over TLS to coturn (RFC 8489 §6.2.3)', () => {
  let coturn: Coturn;
  beforeAll(async () => {
    coturn = await startCoturn({ tls: true });
  });
  afterAll(async () => {
    await coturn?.stop();
  });

  test('Binding over TLS, certificate checked against the self-signed CA', async () => {
    const [r] = await stunBinding([`127.0.0.1:${coturn.tlsPort}`], {
      transport: 'tls',
      // The lab certificate is self-signed for no particular name: check the chain, not the name.
      tls: { ca: coturn.certificatePem ?? '', checkServerIdentity: () => undefined },
      deadline: 5000,
    });
    expect(r?.error).toBeUndefined();
    expect(r?.mapped).toEqual(r?.local);
  });

  test('an untrusted certificate is refused with a clear error', async () => {
    const [r] = await stunBinding([`127.0.0.1:${coturn.tlsPort}`], { transport: 'tls', deadline: 5000 });
    expect(r?.mapped).toBeUndefined();
    expect(r?.error?.message).toMatch(/cannot connect to STUN server 127\.0\.0\.1:\d+: .*certificate/);
  });
});
