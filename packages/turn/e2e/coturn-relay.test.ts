// Real component: coturn on loopback. Two clients allocate, permit each other, bind channels and
// exchange data both ways over UDP, TCP and TLS; bad credentials, REST credentials, IPv6 refusal, close.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { checkPrerequisites } from '@p2pcat/natlab';
import type { TransportAddress } from '@p2pcat/stun';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restApiCredentials, type TurnError, TurnSocket, type TurnSocketOptions } from '../src/index.js';
import { type Coturn, startCoturn } from './coturn.js';

const pre = checkPrerequisites({ commands: ['turnserver', 'openssl'] });

function nextMessage(
  sock: TurnSocket,
  timeoutMs = 5000,
): Promise<{ data: Uint8Array; peer: TransportAddress }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message relayed within the time limit')), timeoutMs);
    sock.once('message', (data: Uint8Array, peer: TransportAddress) => {
      clearTimeout(timer);
      resolve({ data, peer });
    });
  });
}

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

function relayedPortBusy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(true));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

describe.skipIf(pre.skip)('TURN client against coturn on loopback', () => {
  let coturn: Coturn;
  const open: TurnSocket[] = [];

  beforeAll(async () => {
    coturn = await startCoturn();
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close().catch(() => undefined)));
    await coturn?.stop();
  });

  function client(transport: 'udp' | 'tcp' | 'tls', extra: Partial<TurnSocketOptions> = {}): TurnSocket {
    const s = new TurnSocket({
      server: {
        family: 'IPv4',
        address: '127.0.0.1',
        port: transport === 'tls' ? coturn.tlsPort : coturn.port,
      },
      transport,
      username: coturn.username,
      password: coturn.password,
      tls: { ca: readFileSync(coturn.certPath), servername: 'localhost' },
      ...extra,
    });
    open.push(s);
    return s;
  }

  for (const transport of ['udp', 'tcp', 'tls'] as const) {
    it(`relays both ways between two allocations over ${transport}, Send indications then channels`, async () => {
      const a = client(transport);
      const b = client(transport);
      const [ra, rb] = await Promise.all([a.allocate(), b.allocate()]);
      expect(ra.relayedAddress.address).toBe('127.0.0.1');
      expect(ra.mappedAddress?.address).toBe('127.0.0.1');
      expect(ra.relayedAddress.port).not.toBe(rb.relayedAddress.port);

      await Promise.all([a.createPermission(rb.relayedAddress), b.createPermission(ra.relayedAddress)]);
      // before any channel: Send / Data indications
      const got1 = nextMessage(b);
      expect(a.send(text(`hello over ${transport}`), rb.relayedAddress)).toBe(true);
      const m1 = await got1;
      expect(str(m1.data)).toBe(`hello over ${transport}`);
      expect(m1.peer).toEqual(ra.relayedAddress);

      const [ca, cb] = await Promise.all([
        a.bindChannel(rb.relayedAddress),
        b.bindChannel(ra.relayedAddress),
      ]);
      expect(ca).toBeGreaterThanOrEqual(0x4000);
      expect(cb).toBeLessThanOrEqual(0x4fff);
      // ChannelData both ways, odd sizes to exercise padding over streams
      for (const size of [1, 3, 5, 1000]) {
        const payload = new Uint8Array(size).fill(size & 0xff);
        const toB = nextMessage(b);
        a.send(payload, rb.relayedAddress);
        expect((await toB).data).toEqual(payload);
        const toA = nextMessage(a);
        b.send(payload, ra.relayedAddress);
        const back = await toA;
        expect(back.data).toEqual(payload);
        expect(back.peer).toEqual(rb.relayedAddress);
      }
      expect(a.stats.malformed + b.stats.malformed).toBe(0);
      await Promise.all([a.close(), b.close()]);
      expect(a.state).toBe('closed');
    });
  }

  it('never delivers data from a peer without a permission', async () => {
    const a = client('udp');
    const { relayedAddress } = await a.allocate();
    const stranger = dgram.createSocket('udp4');
    await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', () => r()));
    let delivered = 0;
    a.on('message', () => delivered++);
    stranger.send(Buffer.from('unsolicited'), relayedAddress.port, relayedAddress.address);
    await new Promise((r) => setTimeout(r, 300));
    expect(delivered).toBe(0);
    // with a permission for 127.0.0.1 the same datagram is delivered
    await a.createPermission({ family: 'IPv4', address: '127.0.0.1', port: 0 });
    const got = nextMessage(a);
    stranger.send(Buffer.from('now allowed'), relayedAddress.port, relayedAddress.address);
    expect(str((await got).data)).toBe('now allowed');
    stranger.close();
    await a.close();
  });

  it('reports a wrong password as "TURN server refused the credentials (401)"', async () => {
    const a = client('udp', { password: 'wrong' });
    await expect(a.allocate()).rejects.toThrow(/^TURN server refused the credentials \(401\)$/);
    const b = client('tcp', { password: 'wrong' });
    const err = (await b.allocate().catch((e: unknown) => e)) as TurnError;
    expect(err.message).toBe('TURN server refused the credentials (401)');
    expect(err.code).toBe('unauthorized');
  });

  it('reports an IPv6 relay request to an IPv4-only server as a typed 440 error', async () => {
    const a = client('udp', { requestedAddressFamily: 'IPv6' });
    const err = (await a.allocate().catch((e: unknown) => e)) as TurnError;
    expect(err.status).toBe(440);
    expect(err.code).toBe('address-family-not-supported');
  });

  it('deletes the allocation on close: coturn releases the relayed port', async () => {
    const a = client('udp', { dontFragment: true, lifetime: 300 });
    const { relayedAddress } = await a.allocate();
    expect(await relayedPortBusy(relayedAddress.port)).toBe(true);
    await a.close();
    let busy = true;
    for (let i = 0; i < 20 && busy; i++) {
      await new Promise((r) => setTimeout(r, 100));
      busy = await relayedPortBusy(relayedAddress.port);
    }
    expect(busy).toBe(false);
  });

  it('shares a UDP socket the caller owns', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    let application = 0;
    const a = new TurnSocket({
      server: { family: 'IPv4', address: '127.0.0.1', port: coturn.port },
      username: coturn.username,
      password: coturn.password,
      transport: { send: (data, dest) => sock.send(data, dest.port, dest.address) },
    });
    sock.on('message', (msg, rinfo) => {
      const from = { family: 'IPv4', address: rinfo.address, port: rinfo.port } as const;
      if (!a.handleDatagram(new Uint8Array(msg), from)) application++;
    });
    const { mappedAddress, relayedAddress } = await a.allocate();
    expect(mappedAddress?.port).toBe(sock.address().port);
    const b = client('udp');
    const rb = await b.allocate();
    await b.createPermission(relayedAddress);
    const got = nextMessage(a);
    a.send(text('shared'), rb.relayedAddress);
    // a.send created the permission; b's reply comes back through the shared socket
    const toB = nextMessage(b);
    expect(str((await toB).data)).toBe('shared');
    b.send(text('reply'), relayedAddress);
    expect(str((await got).data)).toBe('reply');
    // a plain datagram to the shared socket is left for the caller
    const other = dgram.createSocket('udp4');
    other.send(Buffer.from('app'), sock.address().port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 200));
    other.close();
    expect(application).toBe(1);
    await a.close();
    sock.close();
  });
});

describe.skipIf(pre.skip)('TURN client against coturn with REST-API credentials (use-auth-secret)', () => {
  let coturn: Coturn;
  beforeAll(async () => {
    coturn = await startCoturn({ authSecret: true });
  });
  afterAll(async () => {
    await coturn?.stop();
  });

  it('allocates with short-lived credentials and refuses expired ones', async () => {
    const server = { family: 'IPv4', address: '127.0.0.1', port: coturn.port } as const;
    const good = restApiCredentials({ secret: coturn.secret, user: 'bob', ttlSeconds: 600 });
    const a = new TurnSocket({ server, ...good });
    const { relayedAddress } = await a.allocate();
    expect(relayedAddress.address).toBe('127.0.0.1');
    await a.close();
    const expired = restApiCredentials({
      secret: coturn.secret,
      user: 'bob',
      ttlSeconds: 0,
      now: Date.now() - 3_600_000,
    });
    const b = new TurnSocket({ server, ...expired });
    await expect(b.allocate()).rejects.toThrow('TURN server refused the credentials (401)');
  });
});

describe.skipIf(pre.skip)(
  'TURN client against coturn with an IPv6 relay address (REQUESTED-ADDRESS-FAMILY)',
  () => {
    let coturn: Coturn;
    beforeAll(async () => {
      coturn = await startCoturn({ extraArgs: ['--relay-ip=::1'] });
    });
    afterAll(async () => {
      await coturn?.stop();
    });

    it('allocates IPv6 relayed addresses over an IPv4 control connection and relays between them', async () => {
      const server = { family: 'IPv4', address: '127.0.0.1', port: coturn.port } as const;
      const opts = {
        server,
        username: coturn.username,
        password: coturn.password,
        requestedAddressFamily: 'IPv6',
      } as const;
      const a = new TurnSocket(opts);
      const b = new TurnSocket(opts);
      const [ra, rb] = await Promise.all([a.allocate(), b.allocate()]);
      expect(ra.relayedAddress.family).toBe('IPv6');
      expect(ra.relayedAddress.address).toBe('::1');
      expect(ra.mappedAddress?.family).toBe('IPv4');
      await b.createPermission(ra.relayedAddress);
      const got = nextMessage(b);
      a.send(text('over v6'), rb.relayedAddress);
      const m = await got;
      expect(str(m.data)).toBe('over v6');
      expect(m.peer).toEqual(ra.relayedAddress);
      await Promise.all([a.close(), b.close()]);
    });
  },
);

describe.skipIf(pre.skip)('TURN client following 300 Try Alternate from coturn', () => {
  let target: Coturn;
  let redirector: Coturn;
  beforeAll(async () => {
    target = await startCoturn();
    redirector = await startCoturn({
      extraArgs: [`--alternate-server=127.0.0.1:${target.port}`],
    });
  });
  afterAll(async () => {
    await redirector?.stop();
    await target?.stop();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`allocates on the alternate server over ${transport}`, async () => {
      // the same user exists on both servers (same launcher defaults)
      const a = new TurnSocket({
        server: { family: 'IPv4', address: '127.0.0.1', port: redirector.port },
        transport,
        username: target.username,
        password: target.password,
      });
      const redirected = new Promise((resolve) => a.once('redirected', resolve));
      await a.allocate();
      expect(a.server.port).toBe(target.port);
      expect(await redirected).toEqual({ family: 'IPv4', address: '127.0.0.1', port: target.port });
      await a.close();
    });
  }
});
