// STUN and TURN servers given by host name (issue 14): one resolution per server, the reply matched
// against the resolved address, a name that does not resolve as one line, bounded by the deadline.
import { createSocket, type Socket } from 'node:dgram';
import type { NetworkInterfaceInfo } from 'node:os';
import { decodeStunMessage, type ServerLookup, StunMessageBuilder } from '@p2pcat/stun';
import type { TurnSocketOptions } from '@p2pcat/turn';
import { afterEach, describe, expect, test } from 'vitest';
import { type GatherDependencies, GatherError, type GatherOptions, gatherCandidates } from '../src/index.js';

const v4 = (address: string): NetworkInterfaceInfo =>
  ({
    address,
    family: 'IPv4',
    internal: false,
    netmask: '255.0.0.0',
    mac: '',
    cidr: null,
  }) as NetworkInterfaceInfo;

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function stunResponder(port = 0, family: 'udp4' | 'udp6' = 'udp4'): Promise<number> {
  const s = createSocket(family);
  sockets.push(s);
  s.on('message', (msg, rinfo) => {
    const req = decodeStunMessage(new Uint8Array(msg));
    const res = new StunMessageBuilder('success', req.method, req.transactionId)
      .add(
        'XOR_MAPPED_ADDRESS',
        family === 'udp4'
          ? { family: 'IPv4', address: '203.0.113.9', port: rinfo.port }
          : { family: 'IPv6', address: '2001:db8::9', port: rinfo.port },
      )
      .build({ fingerprint: true });
    s.send(res, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(port, family === 'udp4' ? '127.0.0.1' : '::1', () => r()));
  return s.address().port;
}

function deps(lookup: ServerLookup, extra: Partial<GatherDependencies> = {}): Partial<GatherDependencies> {
  return {
    networkInterfaces: () => ({ eth0: [v4('127.0.0.1')] }),
    ipv6Flags: () => new Map(),
    defaultRouteInterface: () => 'eth0',
    lookup,
    ...extra,
  };
}

const base: GatherOptions = { portMapping: false, includeLoopback: true };

function countingLookup(table: Record<string, { address: string; family: number }[]>) {
  const asked: string[] = [];
  const lookup: ServerLookup = async (host) => {
    asked.push(host);
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
  return { asked, lookup };
}

describe('servers by name', () => {
  test('a STUN server name is resolved once; the IPv4 socket asks its A address; the reply is matched', async () => {
    const port = await stunResponder();
    const { asked, lookup } = countingLookup({
      'stun.test': [
        { address: '::1', family: 6 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
    const g = gatherCandidates({ ...base, stunServers: [`stun.test:${port}`] }, deps(lookup));
    const all = await g.done;
    expect(g.failures).toEqual([]);
    expect(all.filter((c) => c.type === 'srflx').map((c) => `${c.address}:${c.port}`)).toEqual([
      `203.0.113.9:${all[0]!.port}`,
    ]);
    expect(asked).toEqual(['stun.test']);
    await g.close();
  });

  test('A and AAAA: the IPv4 socket asks the A address, the IPv6 socket the AAAA address', async () => {
    const port = await stunResponder();
    await stunResponder(port, 'udp6');
    const v6 = {
      ...v4('::1'),
      family: 'IPv6',
      netmask: 'ffff:ffff:ffff:ffff::',
      scopeid: 0,
    } as NetworkInterfaceInfo;
    const { asked, lookup } = countingLookup({
      'dual.test': [
        { address: '::1', family: 6 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
    const g = gatherCandidates(
      { ...base, stunServers: [`dual.test:${port}`] },
      deps(lookup, { networkInterfaces: () => ({ eth0: [v4('127.0.0.1'), v6] }) }),
    );
    const all = await g.done;
    expect(g.failures).toEqual([]);
    const srflx = all.filter((c) => c.type === 'srflx');
    expect(srflx.map((c) => `${c.base.local.address} -> ${c.address}`).sort()).toEqual([
      '127.0.0.1 -> 203.0.113.9',
      '::1 -> 2001:db8::9',
    ]);
    expect(asked).toEqual(['dual.test']); // one resolution for both sockets
    await g.close();
  });

  test('IP literals skip the resolver', async () => {
    const port = await stunResponder();
    const { asked, lookup } = countingLookup({});
    const g = gatherCandidates({ ...base, stunServers: [`127.0.0.1:${port}`] }, deps(lookup));
    expect((await g.done).some((c) => c.type === 'srflx')).toBe(true);
    expect(asked).toEqual([]);
    await g.close();
  });

  test('a name that does not resolve is one line, at the resolver’s speed', async () => {
    const { lookup } = countingLookup({});
    const t0 = performance.now();
    const g = gatherCandidates(
      { ...base, stunServers: ['stun.example.invalid:3478'], turnServers: ['turn:u:p@turn.example.invalid'] },
      deps(lookup),
    );
    await g.done;
    expect(performance.now() - t0).toBeLessThan(500);
    expect(g.failures.map((f) => `${f.source}: ${f.message}`).sort()).toEqual([
      'STUN server stun.example.invalid:3478: the name does not resolve (ENOTFOUND)',
      'turn:u:***@turn.example.invalid: the name does not resolve (ENOTFOUND)',
    ]);
    await g.close();
  });

  test('a resolver that never answers costs the source deadline, not more', async () => {
    const lookup: ServerLookup = () => new Promise(() => {});
    const t0 = performance.now();
    const g = gatherCandidates(
      { ...base, stunServers: ['slow.test:3478'], stunTimeout: 300, timeout: 3000 },
      deps(lookup),
    );
    await g.done;
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
    expect(g.failures).toHaveLength(1);
    expect(g.failures[0]).toBeInstanceOf(GatherError);
    expect(g.failures[0]).toMatchObject({
      name: 'GatherError',
      code: 'server-name',
      source: 'STUN server slow.test:3478',
      message: 'the resolver gave no answer for the name within 300 ms',
      cause: expect.objectContaining({ name: 'ServerNameError', code: 'timeout' }),
    });
    await g.close();
  });

  test('a name with only an address no host socket can use says so', async () => {
    const { lookup } = countingLookup({ 'v6only.test': [{ address: '2001:db8::1', family: 6 }] });
    const g = gatherCandidates({ ...base, stunServers: ['v6only.test:3478'] }, deps(lookup));
    await g.done;
    expect(g.failures).toHaveLength(1);
    expect(g.failures[0]!.source).toBe('STUN server v6only.test:3478');
    expect(g.failures[0]!.message).toMatch(/no local address to ask it from: it is at 2001:db8::1/);
    await g.close();
  });

  test('TURN by name: the resolved address is the server, TLS verifies the name (SNI)', async () => {
    const { asked, lookup } = countingLookup({ 'turn.test': [{ address: '127.0.0.1', family: 4 }] });
    const made: TurnSocketOptions[] = [];
    const createTurnSocket = ((o: TurnSocketOptions) => {
      made.push(o);
      return {
        on: () => {},
        allocate: async () => {
          throw new Error('refused in this test');
        },
        close: async () => {},
      };
    }) as unknown as GatherDependencies['createTurnSocket'];
    const g = gatherCandidates(
      {
        ...base,
        turnServers: [
          'turns:u:p@turn.test:5349',
          'turn:u:p@turn.test:3478?transport=tcp',
          'turns:u:p@127.0.0.1:5349',
        ],
        turnTls: { rejectUnauthorized: true },
      },
      deps(lookup, { createTurnSocket }),
    );
    await g.done;
    expect(asked).toEqual(['turn.test', 'turn.test']);
    for (const o of made) expect(o.server).toMatchObject({ family: 'IPv4', address: '127.0.0.1' });
    const tlsOf = (port: number) =>
      made.filter((o) => o.server.port === port).map((o) => JSON.stringify(o.tls ?? null));
    expect(tlsOf(5349).sort()).toEqual([
      JSON.stringify({ rejectUnauthorized: true }), // an IP literal: no SNI
      JSON.stringify({ servername: 'turn.test', rejectUnauthorized: true }),
    ]);
    expect(tlsOf(3478)).toEqual(['null']);
    await g.close();
  });
});
