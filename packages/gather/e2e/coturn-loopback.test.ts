// Relayed candidates from a real coturn on loopback, over UDP (sharing the host socket with STUN),
// TCP and TLS.
import { type Coturn, checkPrerequisites, startCoturn } from '@p2pcat/natlab';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatherCandidates } from '../src/index.js';

const pre = checkPrerequisites({ commands: ['turnserver', 'openssl'] });

describe.skipIf(pre.skip)('gathering against coturn on loopback', () => {
  let coturn: Coturn;
  beforeAll(async () => {
    coturn = await startCoturn({ users: { alice: 'wonderland' }, realm: 'gather.test', tls: true });
  });
  afterAll(async () => {
    await coturn?.stop();
  });

  const only127 = { includeLoopback: true, filter: (a: { address: string }) => a.address === '127.0.0.1' };

  test.each(['udp', 'tcp', 'tls'] as const)('relayed candidate over %s', async (transport) => {
    const url =
      transport === 'tls'
        ? `turns:alice:wonderland@127.0.0.1:${coturn.tlsPort}`
        : `turn:alice:wonderland@127.0.0.1:${coturn.port}${transport === 'tcp' ? '?transport=tcp' : ''}`;
    const g = gatherCandidates({
      ...only127,
      portMapping: false,
      turnServers: [url],
      turnTls: { rejectUnauthorized: false },
    });
    const all = await g.done;
    expect(g.failures).toEqual([]);
    const relay = all.find((c) => c.type === 'relay');
    expect(relay).toBeDefined();
    expect(relay!.address).toBe('127.0.0.1');
    expect(relay!.port).toBeGreaterThanOrEqual(coturn.relayPorts[0]);
    expect(relay!.port).toBeLessThanOrEqual(coturn.relayPorts[1]);
    expect(relay!.source).toContain('***'); // the password never shows
    expect(relay!.priority).toBeLessThan(all.find((c) => c.type === 'host')!.priority);
    await g.close();
  });

  test('STUN and UDP TURN from the same socket: both answered, no time lost to demultiplexing', async () => {
    const t0 = performance.now();
    const g = gatherCandidates({
      ...only127,
      portMapping: false,
      stunServers: [`127.0.0.1:${coturn.port}`],
      turnServers: [`turn:alice:wonderland@127.0.0.1:${coturn.port}`],
    });
    const all = await g.done;
    const elapsed = performance.now() - t0;
    expect(g.failures).toEqual([]);
    expect(all.some((c) => c.type === 'relay')).toBe(true);
    expect(elapsed).toBeLessThan(1000); // libnice 0.1.21 loses 2 s here
    await g.close();
  });

  test('close leaks nothing: no socket, connection or timer stays open', async () => {
    const count = () =>
      process.getActiveResourcesInfo().filter((r) => ['UDPWRAP', 'TCPWRAP', 'TLSWRAP', 'Timeout'].includes(r))
        .length;
    const before = count();
    const g = gatherCandidates({
      ...only127,
      portMapping: false,
      stunServers: [`127.0.0.1:${coturn.port}`],
      turnServers: [
        `turn:alice:wonderland@127.0.0.1:${coturn.port}`,
        `turn:alice:wonderland@127.0.0.1:${coturn.port}?transport=tcp`,
        `turns:alice:wonderland@127.0.0.1:${coturn.tlsPort}`,
      ],
      turnTls: { rejectUnauthorized: false },
    });
    const all = await g.done;
    expect(all.filter((c) => c.type === 'relay')).toHaveLength(3);
    expect(count()).toBeGreaterThan(before);
    await g.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(count()).toBeLessThanOrEqual(before);
  });

  test('wrong TURN password: reported as a failure of that source only', async () => {
    const g = gatherCandidates({
      ...only127,
      portMapping: false,
      turnServers: [`turn:alice:nope@127.0.0.1:${coturn.port}`],
    });
    const all = await g.done;
    expect(all.map((c) => c.type)).toEqual(['host']);
    expect(g.failures[0]?.message).toMatch(/401/);
    await g.close();
  });
});
