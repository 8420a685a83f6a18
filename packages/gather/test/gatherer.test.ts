// Gathering with injected adapters (loopback addresses presented as a real adapter), a tiny STUN
// responder on loopback, fake port mapping, and a silent server for the deadlines.
import { createSocket, type Socket } from 'node:dgram';
import type { NetworkInterfaceInfo } from 'node:os';
import { decodeStunMessage, StunMessageBuilder } from '@p2pcat/stun';
import type { PortMapping } from '@p2pcat/upnp';
import { afterEach, describe, expect, test } from 'vitest';
import { type GatherDependencies, type GatherOptions, gatherCandidates } from '../src/index.js';

const info = (address: string): NetworkInterfaceInfo =>
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

/** A STUN responder that answers every Binding request with a fixed XOR-MAPPED-ADDRESS. */
async function stunResponder(mappedPortOffset = 1000): Promise<number> {
  const s = createSocket('udp4');
  sockets.push(s);
  s.on('message', (msg, rinfo) => {
    const req = decodeStunMessage(new Uint8Array(msg));
    const res = new StunMessageBuilder('success', req.method, req.transactionId)
      .add('XOR_MAPPED_ADDRESS', {
        family: 'IPv4',
        address: '203.0.113.50',
        port: rinfo.port + mappedPortOffset,
      })
      .build({ fingerprint: true });
    s.send(res, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s.address().port;
}

async function silentServer(): Promise<number> {
  const s = createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s.address().port;
}

function deps(extra: Partial<GatherDependencies> = {}): Partial<GatherDependencies> {
  return {
    networkInterfaces: () => ({ eth0: [info('127.0.0.1')], eth1: [info('127.0.0.2')] }),
    ipv6Flags: () => new Map(),
    defaultRouteInterface: () => 'eth0',
    mapPort: (async () => {
      throw new Error('no port-mapping service found');
    }) as GatherDependencies['mapPort'],
    ...extra,
  };
}

const base: GatherOptions = { portMapping: false, includeLoopback: true };

describe('gathering', () => {
  test('host candidates at once, then server-reflexive, trickled in that order, then end', async () => {
    const port = await stunResponder();
    const g = gatherCandidates({ ...base, stunServers: [`127.0.0.1:${port}`] }, deps());
    const seen: string[] = [];
    for await (const c of g) seen.push(`${c.type} ${c.base.local.address}`);
    expect(seen.slice(0, 2)).toEqual(['host 127.0.0.1', 'host 127.0.0.2']);
    expect(seen.slice(2).sort()).toEqual(['srflx 127.0.0.1', 'srflx 127.0.0.2']);
    const all = await g.done;
    const host = all.find((c) => c.type === 'host')!;
    expect(host.priority).toBe(126 * 2 ** 24 + (host.priority % 2 ** 24));
    const srflx = all.filter((c) => c.type === 'srflx');
    for (const s of srflx) {
      expect(s.address).toBe('203.0.113.50');
      expect(s.port).toBe(s.base.local.port + 1000);
      expect(s.relatedAddress).toEqual(s.base.local);
      expect(s.foundAfterMs).toBeLessThan(500);
    }
    expect(new Set(all.map((c) => c.foundation)).size).toBe(4);
    await g.close();
  });

  test("reflexive: every server's mapped address per base, also those that made no new candidate", async () => {
    const [a, b] = [await stunResponder(), await stunResponder()];
    const g = gatherCandidates({ ...base, stunServers: [`127.0.0.1:${a}`, `127.0.0.1:${b}`] }, deps());
    const all = await g.done;
    // both servers report the same mapping: one candidate per base, two observations per base
    expect(all.filter((c) => c.type === 'srflx')).toHaveLength(2);
    expect(g.reflexive).toHaveLength(4);
    for (const r of g.reflexive) expect(r.mapped.port).toBe(r.base.port + 1000);
    expect(new Set(g.reflexive.map((r) => r.server))).toEqual(new Set([`127.0.0.1:${a}`, `127.0.0.1:${b}`]));
    await g.close();
  });

  test('an unreachable STUN server costs its own deadline, not more', async () => {
    const dead = await silentServer();
    const live = await stunResponder();
    const t0 = Date.now();
    const g = gatherCandidates(
      { ...base, stunServers: [`127.0.0.1:${dead}`, `127.0.0.1:${live}`], stunTimeout: 400, timeout: 3000 },
      deps(),
    );
    const all = await g.done;
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(1200);
    expect(all.filter((c) => c.type === 'srflx')).toHaveLength(2);
    expect(g.failures.some((f) => f.source.includes(String(dead)))).toBe(true);
    await g.close();
  });

  test('the whole gathering is bounded even when every source hangs', async () => {
    const dead = await silentServer();
    const t0 = Date.now();
    const g = gatherCandidates(
      { ...base, stunServers: [`127.0.0.1:${dead}`], stunTimeout: 10_000, timeout: 300 },
      deps({ mapPort: (() => new Promise(() => {})) as unknown as GatherDependencies['mapPort'] }),
    );
    await g.done;
    expect(Date.now() - t0).toBeLessThan(800);
    expect(g.candidates.map((c) => c.type)).toEqual(['host', 'host']);
    await g.close();
  });

  test('a port mapping becomes a server-reflexive candidate; a double-NAT mapping does not', async () => {
    const closed: string[] = [];
    const fakeMapping = (externalAddress: string, doubleNat: boolean) =>
      ({
        method: 'pcp',
        externalAddress,
        externalPort: 40000,
        gateway: '127.0.0.254',
        doubleNat,
        close: async () => {
          closed.push(externalAddress);
        },
      }) as unknown as PortMapping;
    const g = gatherCandidates(
      { ...base, portMapping: true },
      deps({ mapPort: (async () => fakeMapping('198.51.100.7', false)) as GatherDependencies['mapPort'] }),
    );
    const all = await g.done;
    const mapped = all.find((c) => c.source === 'pcp')!;
    expect(mapped).toMatchObject({ type: 'srflx', address: '198.51.100.7', port: 40000 });
    expect(mapped.base.local.address).toBe('127.0.0.1'); // the default-route adapter's socket
    await g.close();
    expect(closed).toEqual(['198.51.100.7']);

    const g2 = gatherCandidates(
      { ...base, portMapping: true },
      deps({ mapPort: (async () => fakeMapping('100.64.0.9', true)) as GatherDependencies['mapPort'] }),
    );
    expect((await g2.done).some((c) => c.source === 'pcp')).toBe(false);
    // Issue 14 item 5: one line, and the useless mapping is released at once.
    expect(g2.failures).toContainEqual(
      expect.objectContaining({
        code: 'double-nat',
        source: 'port mapping',
        message:
          "the router's external address 100.64.0.9 is behind another NAT (carrier-grade NAT): the mapped port is not reachable from the internet",
      }),
    );
    expect(g2.mappings).toEqual([]);
    expect(closed).toContain('100.64.0.9');
    await g2.close();

    // A private external address the mapping itself did not flag is caught as well.
    const g3 = gatherCandidates(
      { ...base, portMapping: true },
      deps({ mapPort: (async () => fakeMapping('192.168.1.20', false)) as GatherDependencies['mapPort'] }),
    );
    expect((await g3.done).some((c) => c.source === 'pcp')).toBe(false);
    expect(g3.failures.find((f) => f.source === 'port mapping')?.message).toBe(
      "the router's external address 192.168.1.20 is behind another NAT (a private address): the mapped port is not reachable from the internet",
    );
    await g3.close();
  });

  test('no port mapping is tried without an IPv4 default route or without an address on its adapter', async () => {
    const asked: number[] = [];
    const mapPort = (async (o: { internalPort: number }) => {
      asked.push(o.internalPort);
      throw new Error('no port-mapping service found');
    }) as unknown as GatherDependencies['mapPort'];
    for (const [route, message] of [
      [undefined, 'no IPv4 default route, so no router to map a port on'],
      ['wlan0', 'no IPv4 address on the default-route adapter wlan0'],
    ] as const) {
      const g = gatherCandidates(
        { ...base, portMapping: true },
        deps({ mapPort, defaultRouteInterface: () => route }),
      );
      await g.done;
      expect(g.failures.find((f) => f.source === 'port mapping')?.message).toBe(message);
      await g.close();
    }
    expect(asked).toEqual([]);
    // On the default-route adapter the mapping is asked for that adapter's socket.
    const g = gatherCandidates({ ...base, portMapping: true }, deps({ mapPort }));
    await g.done;
    expect(asked).toEqual([g.hostBases.find((b) => b.interfaceName === 'eth0')?.local.port]);
    await g.close();
  });

  test('redundant candidates are dropped: a server-reflexive address equal to its base', async () => {
    const s = createSocket('udp4');
    sockets.push(s);
    s.on('message', (msg, rinfo) => {
      const req = decodeStunMessage(new Uint8Array(msg));
      s.send(
        new StunMessageBuilder('success', req.method, req.transactionId)
          .add('XOR_MAPPED_ADDRESS', { family: 'IPv4', address: rinfo.address, port: rinfo.port })
          .build(),
        rinfo.port,
        rinfo.address,
      );
    });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const g = gatherCandidates({ ...base, stunServers: [`127.0.0.1:${s.address().port}`] }, deps());
    expect((await g.done).map((c) => c.type)).toEqual(['host', 'host']);
    await g.close();
  });

  test('close releases every socket; regather keeps the host sockets', async () => {
    const port = await stunResponder();
    const g = gatherCandidates({ ...base, stunServers: [`127.0.0.1:${port}`] }, deps());
    await g.done;
    const ports = g.hostBases.map((b) => b.local.port);
    const g2 = g.regather();
    await g2.done;
    expect(g2.hostBases.map((b) => b.local.port)).toEqual(ports);
    expect(g2.candidates.filter((c) => c.type === 'srflx')).toHaveLength(2);
    const sockets = g2.hostBases.map((b) => b.socket);
    await g2.close();
    await g.close();
    for (const sock of sockets) expect(() => sock.address()).toThrow(); // closed
  });

  test('bad server URLs are reported, not thrown', async () => {
    const g = gatherCandidates(
      { ...base, stunServers: ['bad host!'], turnServers: ['turn:nocreds:3478'] },
      deps(),
    );
    await g.done;
    expect(g.failures.map((f) => f.message).join('\n')).toMatch(/not a host name[\s\S]*credentials/);
    expect(g.failures.map((f) => [f.name, f.code])).toEqual([
      ['GatherError', 'server-url'],
      ['GatherError', 'server-url'],
    ]);
    expect(g.failures[0]!.cause).toBeInstanceOf(Error);
    await g.close();
  });
});
