// Every operation that waits takes an AbortSignal and rejects with an error named 'AbortError'
// (issue 15): the signal's reason when it is one, else a DOMException that keeps the reason as cause.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StunError } from '../errors.js';
import { StunClientError } from './errors.js';
import { discoverNatBehavior } from './nat-discovery.js';
import { StunStreamClient } from './stream-client.js';
import { stunBinding } from './stun-binding.js';
import { StunClient } from './stun-client.js';

// A server that never answers: requests to it wait until aborted or timed out.
let silent: Socket;
let silentPort: number;
beforeAll(async () => {
  silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  silentPort = silent.address().port;
});
afterAll(() => silent.close());

const silentAddress = () => ({ family: 'IPv4', address: '127.0.0.1', port: silentPort }) as const;

function abortSoon(ms = 30, reason?: unknown): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(reason), ms);
  return controller.signal;
}

describe('StunClient.request', () => {
  test('an abort while waiting rejects with an AbortError and ends the transaction', async () => {
    const socket = createSocket('udp4');
    const client = new StunClient({ send: (d, to) => socket.send(d, to.port, to.address) });
    try {
      const t0 = performance.now();
      const error = await client.binding(silentAddress(), { signal: abortSoon() }).catch((e: unknown) => e);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(error).toMatchObject({ name: 'AbortError' });
      expect(client.pending).toBe(0);
    } finally {
      client.close();
      socket.close();
    }
  });

  test('the reason is passed through when it is an AbortError, kept as cause otherwise', async () => {
    const client = new StunClient({ send: () => {} });
    const own = new DOMException('stopped by the test', 'AbortError');
    await expect(client.binding(silentAddress(), { signal: AbortSignal.abort(own) })).rejects.toBe(own);
    const timeout = AbortSignal.timeout(10);
    const error = (await client
      .binding(silentAddress(), { signal: timeout })
      .catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('AbortError');
    expect(error.cause).toBe(timeout.reason);
    expect((error.cause as Error).name).toBe('TimeoutError');
    const plain = (await client
      .binding(silentAddress(), { signal: AbortSignal.abort('why') })
      .catch((e: unknown) => e)) as Error;
    expect(plain.name).toBe('AbortError');
    expect(plain.cause).toBe('why');
    client.close();
  });

  test('a timeout is a StunClientError with code timeout', async () => {
    const client = new StunClient({ send: () => {} });
    const error = await client.binding(silentAddress(), { rto: 10, timeout: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StunClientError);
    expect(error).toBeInstanceOf(StunError);
    expect(error).toMatchObject({ code: 'timeout', name: 'StunClientError' });
    client.close();
  });
});

describe('stunBinding', () => {
  test('an abort rejects the whole call with an AbortError, at once', async () => {
    const t0 = performance.now();
    const error = await stunBinding([silentAddress()], { deadline: 5000, signal: abortSoon() }).catch(
      (e: unknown) => e,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(error).toMatchObject({ name: 'AbortError' });
    await expect(stunBinding([silentAddress()], { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  test('the deadline is a per-server StunError with code timeout, not a rejection', async () => {
    const [r] = await stunBinding([silentAddress()], { deadline: 150 });
    expect(r?.error).toBeInstanceOf(StunError);
    expect(r?.error?.code).toBe('timeout');
    expect(r?.error?.message).toMatch(/no answer from STUN server 127\.0\.0\.1:\d+/);
  });
});

describe('discoverNatBehavior', () => {
  test('an abort closes the tests and rejects with an AbortError', async () => {
    const t0 = performance.now();
    const error = await discoverNatBehavior(silentAddress(), {
      probeTimeout: 3000,
      localAddress: '127.0.0.1',
      signal: abortSoon(),
    }).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(error).toMatchObject({ name: 'AbortError' });
  });

  test('no answer is a StunError with code timeout', async () => {
    const error = await discoverNatBehavior(silentAddress(), {
      probeTimeout: 100,
      rto: 20,
      localAddress: '127.0.0.1',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StunError);
    expect(error).toMatchObject({ code: 'timeout' });
  });
});

describe('StunStreamClient.connect', () => {
  test('an aborted signal rejects with an AbortError', async () => {
    await expect(
      StunStreamClient.connect(silentAddress(), { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});
