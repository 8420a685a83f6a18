// TurnSocket (the Node adapter) against the fake TURN server behind a real UDP socket on loopback:
// what close() leaves behind (timers, sockets, sends) and how it settles requests still in flight.
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { TransportAddress } from '@p2pcat/stun';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTurnServer } from '../../test/fake-server.js';
import { TurnError } from '../errors.js';
import { TurnSocket, type TurnSocketOptions } from './turn-socket.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface LoopbackServer {
  fake: FakeTurnServer;
  address: TransportAddress;
  /** datagrams received from the client */
  received: number;
  close(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await sleep(20); // closed dgram handles are gone on a later turn of the loop
});

async function startServer(): Promise<LoopbackServer> {
  const fake = new FakeTurnServer({ address: { family: 'IPv4', address: '127.0.0.1', port: 0 } });
  const socket = dgram.createSocket('udp4');
  const server: LoopbackServer = {
    fake,
    address: { family: 'IPv4', address: '127.0.0.1', port: 0 },
    received: 0,
    close: () => new Promise((r) => socket.close(() => r())),
  };
  socket.on('message', (msg, rinfo) => {
    server.received++;
    for (const reply of fake.handle(new Uint8Array(msg), performance.now()))
      socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  server.address.port = (socket.address() as AddressInfo).port;
  cleanups.push(server.close);
  return server;
}

/** A UDP socket the caller owns, shared with the TURN allocation as in @p2pcat/gather. */
async function hostSocket(server: LoopbackServer) {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  let open = true;
  const host = {
    socket,
    sends: 0,
    sendsAfterClose: 0,
    thrown: [] as unknown[],
    turn: undefined as TurnSocket | undefined,
    close: () =>
      new Promise<void>((r) => {
        if (!open) return r();
        open = false;
        socket.close(() => r());
      }),
  };
  socket.on('message', (msg, rinfo) => {
    host.turn?.handleDatagram(new Uint8Array(msg), {
      family: 'IPv4',
      address: rinfo.address,
      port: rinfo.port,
    });
  });
  const sender = {
    send: (d: Uint8Array, to: TransportAddress) => {
      host.sends++;
      if (!open) host.sendsAfterClose++;
      try {
        socket.send(d, to.port, to.address);
      } catch (e) {
        // What dgram does on a closed socket (ERR_SOCKET_DGRAM_NOT_RUNNING); recorded and rethrown.
        host.thrown.push(e);
        throw e;
      }
    },
  };
  cleanups.push(host.close);
  void server;
  return { host, sender };
}

function turnSocket(server: LoopbackServer, options: Partial<TurnSocketOptions> = {}): TurnSocket {
  const t = new TurnSocket({
    server: server.address,
    username: 'user',
    password: 'pass',
    rto: 20,
    deadline: 1000,
    ...options,
  });
  t.on('error', () => {});
  cleanups.push(() => t.close().catch(() => undefined));
  return t;
}

/** The adapter's own timer and UDP socket (private; what close() must leave empty). */
function internals(t: TurnSocket): { timer: unknown; udp: unknown } {
  const { timer, udp } = t as unknown as { timer: { armed: boolean }; udp: unknown };
  return { timer: timer.armed ? timer : undefined, udp };
}

function udpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
}

describe('TurnSocket close()', () => {
  it('deletes the allocation (Refresh LIFETIME 0), then holds no timer and no socket', async () => {
    const server = await startServer();
    const before = udpHandles();
    const t = turnSocket(server);
    await t.allocate();
    expect(server.fake.allocated).toBe(true);
    await t.close();
    expect(server.fake.deleted).toBe(true);
    expect(internals(t)).toEqual({ timer: undefined, udp: undefined });
    await sleep(20); // the dgram handle goes away on the next turn of the loop
    expect(udpHandles()).toBe(before);
    const received = server.received;
    expect(t.send(new Uint8Array([1, 2, 3]), { family: 'IPv4', address: '127.0.0.1', port: 9 })).toBe(false);
    await sleep(100);
    expect(server.received).toBe(received);
  });

  it('stops at the first send that fails on the caller’s closed socket: no throw from a timer, no timer left', async () => {
    const server = await startServer();
    const { host, sender } = await hostSocket(server);
    const t = turnSocket(server, { transport: sender, deadline: 10_000 });
    host.turn = t;
    await t.allocate();
    server.fake.silent = true; // the Refresh LIFETIME 0 goes unanswered: retransmissions are due
    const started = performance.now();
    const closing = t.close();
    await host.close(); // the owner closes its socket right away (an application exiting)
    // Before: every retransmission timer threw ERR_SOCKET_DGRAM_NOT_RUNNING (uncaught) until the deadline.
    await expect(closing).resolves.toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_000); // not the 10 s deadline
    expect(host.sendsAfterClose).toBeLessThanOrEqual(1); // the one that found it closed
    expect(internals(t).timer).toBeUndefined();
    const sends = host.sends;
    await sleep(200); // ten retransmission timeouts (rto 20 ms)
    expect(host.sends).toBe(sends);
  });

  it('reports a fatal "connection-lost" when the caller’s socket is closed under a live allocation', async () => {
    const server = await startServer();
    const { host, sender } = await hostSocket(server);
    const t = turnSocket(server, { transport: sender });
    host.turn = t;
    const errors: unknown[] = [];
    t.on('error', (e) => errors.push(e));
    await t.allocate();
    await host.close();
    expect(t.send(new Uint8Array([1]), { family: 'IPv4', address: '127.0.0.9', port: 9 })).toBe(true);
    await sleep(20);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'connection-lost' });
    expect(internals(t).timer).toBeUndefined();
    await t.close(); // already finished: resolves at once
    const sends = host.sends;
    await sleep(100);
    expect(host.sends).toBe(sends);
  });

  it('settles an allocate() in flight at once with a "closed" TurnError and leaks no socket', async () => {
    const server = await startServer();
    server.fake.silent = true;
    const before = udpHandles();
    const t = turnSocket(server, { deadline: 800 });
    const allocating = t.allocate();
    const settled = allocating.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await sleep(50); // the Allocate is being retransmitted
    const started = performance.now();
    // The close keeps the Allocate going until its deadline (the server may have made the
    // allocation, which a client SHOULD delete, RFC 8656 §8), but allocate() is settled at once.
    const closing = t.close();
    const err = await settled;
    expect(performance.now() - started).toBeLessThan(400); // at once, not at the 800 ms deadline (margin for a loaded CI)
    expect(err).toBeInstanceOf(TurnError);
    expect((err as TurnError).code).toBe('closed');
    expect((err as TurnError).message).toMatch(/closed before the allocation was made/);
    await closing;
    expect(internals(t)).toEqual({ timer: undefined, udp: undefined });
    await sleep(20);
    expect(udpHandles()).toBe(before);
  });

  it('settles createPermission() in flight with a "closed" TurnError', async () => {
    const server = await startServer();
    const t = turnSocket(server);
    await t.allocate();
    server.fake.silent = true;
    const pending = t.createPermission({ family: 'IPv4', address: '127.0.0.9', port: 1 }).catch((e) => e);
    await sleep(30);
    await t.close();
    const err = await pending;
    expect(err).toBeInstanceOf(TurnError);
    expect((err as TurnError).code).toBe('closed');
    expect(internals(t).timer).toBeUndefined();
  });

  it('close() before the socket is even bound settles allocate() and opens nothing that stays', async () => {
    const server = await startServer();
    const before = udpHandles();
    const t = turnSocket(server);
    const allocating = t.allocate().catch((e) => e);
    await t.close();
    const err = await allocating;
    expect(err).toBeInstanceOf(TurnError);
    expect((err as TurnError).code).toBe('closed');
    expect(internals(t)).toEqual({ timer: undefined, udp: undefined });
    await sleep(20);
    expect(udpHandles()).toBe(before);
    expect(server.received).toBe(0);
  });

  it('allocate() after close() rejects without opening a socket', async () => {
    const server = await startServer();
    const t = turnSocket(server);
    await t.allocate();
    await t.close();
    await sleep(20);
    const before = udpHandles();
    await expect(t.allocate()).rejects.toMatchObject({ code: 'closed' });
    await sleep(20);
    expect(udpHandles()).toBe(before);
    expect(internals(t).udp).toBeUndefined();
  });
});
