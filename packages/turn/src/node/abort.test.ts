// Every TurnSocket operation that waits takes an AbortSignal and rejects with an error named
// 'AbortError' (issue 15), against the fake TURN server behind a real UDP socket on loopback.
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { TransportAddress } from '@p2pcat/stun';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTurnServer } from '../../test/fake-server.js';
import { TurnError } from '../errors.js';
import { createTurnSocket } from './by-name.js';
import { TurnSocket } from './turn-socket.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await sleep(20);
});

async function startServer(): Promise<{ fake: FakeTurnServer; address: TransportAddress }> {
  const fake = new FakeTurnServer({ address: { family: 'IPv4', address: '127.0.0.1', port: 0 } });
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    for (const reply of fake.handle(new Uint8Array(msg), performance.now()))
      socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => socket.close(() => r())));
  const address = {
    family: 'IPv4',
    address: '127.0.0.1',
    port: (socket.address() as AddressInfo).port,
  } as const;
  return { fake, address };
}

function turnTo(server: TransportAddress): TurnSocket {
  const t = new TurnSocket({ server, username: 'user', password: 'pass', deadline: 5000 });
  t.on('error', () => {});
  cleanups.push(() => t.close({ signal: AbortSignal.abort() }).catch(() => {}));
  return t;
}

function abortSoon(ms = 30): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), ms);
  return controller.signal;
}

const peer: TransportAddress = { family: 'IPv4', address: '127.0.0.1', port: 50000 };

describe('TurnSocket aborts', () => {
  it('allocate: an abort while the server is silent rejects with an AbortError and closes the socket', async () => {
    const { fake, address } = await startServer();
    fake.silent = true;
    const t = turnTo(address);
    const t0 = performance.now();
    const error = await t.allocate({ signal: abortSoon() }).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(error).toMatchObject({ name: 'AbortError' });
    await expect(t.allocate()).rejects.toMatchObject({ code: 'closed' });
  });

  it('allocate: an already aborted signal opens nothing', async () => {
    const { address } = await startServer();
    const t = turnTo(address);
    const reason = new DOMException('mine', 'AbortError');
    await expect(t.allocate({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(t.state).toBe('idle');
  });

  it('createPermission, bindChannel and refresh: an abort stops waiting, the allocation stays up', async () => {
    const { fake, address } = await startServer();
    const t = turnTo(address);
    await t.allocate();
    fake.silent = true;
    for (const op of [
      (signal: AbortSignal) => t.createPermission(peer, { signal }),
      (signal: AbortSignal) => t.bindChannel(peer, { signal }),
      (signal: AbortSignal) => t.refresh({ signal }),
    ]) {
      const t0 = performance.now();
      const error = await op(abortSoon()).catch((e: unknown) => e);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(error).toMatchObject({ name: 'AbortError' });
    }
    expect(t.state).toBe('allocated');
    fake.silent = false;
    await expect(t.refresh()).resolves.toBeGreaterThan(0);
  });

  it('close: an abort stops waiting for the deletion and finishes the socket at once', async () => {
    const { fake, address } = await startServer();
    const t = turnTo(address);
    await t.allocate();
    fake.silent = true;
    let closed = false;
    t.on('close', () => {
      closed = true;
    });
    const error = await t.close({ signal: abortSoon() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(closed).toBe(true);
    await expect(t.close()).resolves.toBeUndefined();
  });

  it('refresh resolves with the granted lifetime and emits refreshed; before allocate it is not-allocated', async () => {
    const { address } = await startServer();
    const t = turnTo(address);
    await expect(t.refresh()).rejects.toMatchObject({ code: 'not-allocated' });
    await t.allocate();
    const seen: number[] = [];
    t.on('refreshed', (lifetime) => seen.push(lifetime));
    const lifetime = await t.refresh();
    expect(lifetime).toBeGreaterThan(0);
    expect(seen).toEqual([lifetime]);
  });

  it('createTurnSocket: an abort of the resolution rejects with an AbortError', async () => {
    const error = await createTurnSocket({
      server: 'turn.example.test:3478',
      username: 'u',
      password: 'p',
      lookup: () => new Promise(() => {}),
      signal: abortSoon(),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError' });
  });

  it('errors keep their cause', async () => {
    const error = await createTurnSocket({ server: 'host:99999', username: 'u', password: 'p' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TurnError);
    expect(error).toMatchObject({ code: 'bad-request' });
    expect((error as TurnError).cause).toMatchObject({ code: 'bad-host-port' });
  });
});
