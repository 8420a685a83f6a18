// Servers by name against a real coturn on loopback (issue 14): `localhost` is resolved through the
// system resolver (/etc/hosts), requests go to the resolved address and replies from it are matched.
// coturn serves TLS with a certificate made here for the name `localhost` only (SAN DNS:localhost),
// so a turns: URL by name verifies (SNI and identity = the name) and the same URL by IP does not.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Coturn, checkPrerequisites, startCoturn, startUdpRelay, type UdpRelay } from '@p2pcat/natlab';
import { stunBinding } from '@p2pcat/stun';
import { createTurnSocket } from '@p2pcat/turn';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatherCandidates } from '../src/index.js';

const pre = checkPrerequisites({ commands: ['turnserver', 'openssl'] });

describe.skipIf(pre.skip)('servers by name against coturn on loopback', () => {
  let coturn: Coturn;
  let relay: UdpRelay;
  let dir: string;
  let ca: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gather-names-'));
    const cert = join(dir, 'localhost.pem');
    const key = join(dir, 'localhost.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(cert, 'utf8');
    // startCoturn's own certificate is for "natlab-turn"; the later --cert/--pkey replace it.
    coturn = await startCoturn({
      users: { alice: 'wonderland' },
      realm: 'names.test',
      tls: true,
      extraArgs: [`--cert=${cert}`, `--pkey=${key}`],
    });
    // A NAT-like hop: coturn sees the relay's own socket, so the mapped address differs from the
    // host candidate and the server-reflexive candidate is not redundant (RFC 8445 §5.1.3).
    relay = await startUdpRelay({ target: { address: '127.0.0.1', port: coturn.port }, seed: 1 });
  });
  afterAll(async () => {
    await relay?.close();
    await coturn?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const only127 = { includeLoopback: true, filter: (a: { address: string }) => a.address === '127.0.0.1' };

  test('stunBinding by name: UDP, and TLS verified against the name', async () => {
    const [udp] = await stunBinding([`localhost:${coturn.port}`], { deadline: 2000 });
    expect(udp?.error).toBeUndefined();
    expect(udp?.serverAddress).toEqual({ family: 'IPv4', address: '127.0.0.1', port: coturn.port });
    expect(udp?.mapped?.address).toBe('127.0.0.1');
    const [tls] = await stunBinding([`localhost:${coturn.tlsPort}`], {
      transport: 'tls',
      tls: { ca },
      deadline: 3000,
    });
    expect(tls?.error).toBeUndefined();
    expect(tls?.mapped?.address).toBe('127.0.0.1');
    // The same server by IP: the certificate is for the name only, so the check fails.
    const [byIp] = await stunBinding([`127.0.0.1:${coturn.tlsPort}`], {
      transport: 'tls',
      tls: { ca },
      deadline: 3000,
    });
    expect(byIp?.error?.message).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list|altnames/i);
  });

  test('gather: srflx from a STUN server by name', async () => {
    const g = gatherCandidates({ ...only127, portMapping: false, stunServers: [`localhost:${relay.port}`] });
    const all = await g.done;
    expect(g.failures).toEqual([]);
    const srflx = all.find((c) => c.type === 'srflx');
    expect(srflx).toMatchObject({ address: '127.0.0.1', source: `localhost:${relay.port}` });
    expect(srflx!.port).not.toBe(srflx!.base.local.port);
    await g.close();
  });

  test.each(['udp', 'tcp', 'tls'] as const)(
    'gather: relayed candidate from a TURN server by name over %s',
    async (transport) => {
      const url =
        transport === 'tls'
          ? `turns:alice:wonderland@localhost:${coturn.tlsPort}`
          : `turn:alice:wonderland@localhost:${coturn.port}${transport === 'tcp' ? '?transport=tcp' : ''}`;
      const g = gatherCandidates({ ...only127, portMapping: false, turnServers: [url], turnTls: { ca } });
      const all = await g.done;
      expect(g.failures).toEqual([]);
      const relayed = all.find((c) => c.type === 'relay');
      expect(relayed?.address).toBe('127.0.0.1');
      expect(relayed!.port).toBeGreaterThanOrEqual(coturn.relayPorts[0]);
      expect(relayed!.port).toBeLessThanOrEqual(coturn.relayPorts[1]);
      await g.close();
    },
  );

  test('gather: turns: by IP is refused by the certificate made for the name', async () => {
    const g = gatherCandidates({
      ...only127,
      portMapping: false,
      turnServers: [`turns:alice:wonderland@127.0.0.1:${coturn.tlsPort}`],
      turnTls: { ca },
    });
    const all = await g.done;
    expect(all.some((c) => c.type === 'relay')).toBe(false);
    expect(g.failures[0]?.message).toMatch(/127\.0\.0\.1 is not in the cert's list|altnames/i);
    await g.close();
  });

  // A name that does not resolve is tested with an injected resolver (test/names.test.ts) and, for
  // the CLI, in a network namespace of its own (apps/p2pcat/e2e/names.test.ts): asking the system
  // resolver here would send a DNS query off this machine.

  test.each(['udp', 'tls'] as const)('turn: allocation by name over %s', async (transport) => {
    const turn = await createTurnSocket({
      server: `localhost:${transport === 'tls' ? coturn.tlsPort : coturn.port}`,
      transport,
      username: 'alice',
      password: 'wonderland',
      deadline: 3000,
      tls: { ca },
    });
    expect(turn.server).toMatchObject({ family: 'IPv4', address: '127.0.0.1' });
    const allocated = await turn.allocate();
    expect(allocated.relayedAddress.address).toBe('127.0.0.1');
    await turn.close();
  });
});
