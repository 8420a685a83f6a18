// e2e on loopback only: the Node client's redirect, IPv6, timeout and abort behaviour against our server.
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  decodeStunMessage,
  type RunningStunServer,
  StunClient,
  StunClientError,
  StunMessageBuilder,
  StunMethod,
  StunStreamFramer,
  startStunServer,
  stunBinding,
  type TransportAddress,
} from '../src/index.js';

function udpSocket(type: 'udp4' | 'udp6', host: string): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket(type);
    s.bind(0, host, () => resolve(s));
  });
}

describe('Node STUN client on loopback', () => {
  let v4: RunningStunServer;
  let v6: RunningStunServer | undefined;
  let redirector: Socket;
  let silent: Socket;
  let redirects = 0;

  beforeAll(async () => {
    v4 = await startStunServer({ listen: '127.0.0.1:0' });
    v6 = await startStunServer({ listen: '[::1]:0' }).catch(() => undefined);
    // A server that answers every Binding request with 300 Try Alternate -> our server.
    redirector = await udpSocket('udp4', '127.0.0.1');
    redirector.on('message', (msg, rinfo) => {
      const req = decodeStunMessage(new Uint8Array(msg));
      redirects++;
      const res = new StunMessageBuilder('error', req.method, req.transactionId)
        .add('ERROR_CODE', { code: 300, reason: 'Try Alternate' })
        .add('ALTERNATE_SERVER', v4.primary)
        .build();
      redirector.send(res, rinfo.port, rinfo.address);
    });
    silent = await udpSocket('udp4', '127.0.0.1');
  });
  afterAll(async () => {
    redirector?.close();
    silent?.close();
    await v4?.close();
    await v6?.close();
  });

  test('300 ALTERNATE-SERVER is followed once (RFC 8489 §10)', async () => {
    const before = redirects;
    const [r] = await stunBinding([`127.0.0.1:${redirector.address().port}`], { deadline: 2000 });
    expect(r?.mapped?.address).toBe('127.0.0.1');
    expect(r?.serverAddress).toEqual(v4.primary);
    expect(redirects - before).toBe(1);
  });

  test('300 ALTERNATE-SERVER over TCP: a new connection to the alternate', async () => {
    const server = createServer((c) => {
      const framer = new StunStreamFramer();
      c.on('data', (chunk) => {
        for (const m of framer.push(new Uint8Array(chunk))) {
          const req = decodeStunMessage(m);
          c.write(
            new StunMessageBuilder('error', req.method, req.transactionId)
              .add('ERROR_CODE', { code: 300, reason: 'Try Alternate' })
              .add('ALTERNATE_SERVER', v4.primary)
              .build(),
          );
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as { port: number }).port;
      const [r] = await stunBinding([`127.0.0.1:${port}`], { transport: 'tcp', deadline: 2000 });
      expect(r?.serverAddress).toEqual(v4.primary);
      expect(r?.mapped).toEqual(r?.local);
    } finally {
      server.close();
    }
  });

  test('IPv4 and IPv6 servers in one call', async (ctx) => {
    if (v6 === undefined) ctx.skip();
    const results = await stunBinding([`127.0.0.1:${v4.primary.port}`, `[::1]:${v6?.primary.port}`], {
      deadline: 2000,
    });
    expect(results.map((r) => r.mapped?.family)).toEqual(['IPv4', 'IPv6']);
    expect(results[1]?.mapped?.address).toBe('::1');
  });

  test('a caller-owned socket: the mapping found is that socket’s', async () => {
    const socket = await udpSocket('udp4', '127.0.0.1');
    try {
      const [r] = await stunBinding([`127.0.0.1:${v4.primary.port}`], { socket, deadline: 2000 });
      expect(r?.mapped?.port).toBe(socket.address().port);
      expect(socket.listenerCount('message')).toBe(0);
    } finally {
      socket.close();
    }
  });

  test('a silent server times out after the budget with a clear message', async () => {
    const socket = await udpSocket('udp4', '127.0.0.1');
    const sent: number[] = [];
    const started = performance.now();
    const client = new StunClient({
      rto: 50,
      send: (data, to) => {
        sent.push(Math.round(performance.now() - started));
        socket.send(data, to.port, to.address);
      },
    });
    const to: TransportAddress = { family: 'IPv4', address: '127.0.0.1', port: silent.address().port };
    try {
      const error = await client.binding(to, { rc: 3, rm: 4 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StunClientError);
      expect((error as StunClientError).code).toBe('timeout');
      expect((error as Error).message).toMatch(/no answer from STUN server 127\.0\.0\.1:\d+/);
      // sends at 0, 50, 150 ms; failure at 150 + 4 * 50 = 350 ms
      expect(sent).toHaveLength(3);
      expect(performance.now() - started).toBeGreaterThanOrEqual(345);
    } finally {
      client.close();
      socket.close();
    }
  });

  test('an AbortSignal stops a request at once', async () => {
    const client = new StunClient({ send: () => {} });
    const controller = new AbortController();
    const p = client.request(new StunMessageBuilder('request', StunMethod.Binding), v4.primary, {
      signal: controller.signal,
    });
    controller.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(client.pending).toBe(0);
    client.close();
  });

  test('an AbortSignal ends stunBinding early', async () => {
    const started = Date.now();
    const error = await stunBinding([`127.0.0.1:${silent.address().port}`], {
      deadline: 10_000,
      signal: AbortSignal.timeout(200),
    }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000); // far below the 10 s deadline
    expect(error).toMatchObject({ name: 'AbortError' });
  });

  test('the deadline bounds the whole call', async () => {
    const started = Date.now();
    const [r] = await stunBinding([`127.0.0.1:${silent.address().port}`], { deadline: 300 });
    expect(Date.now() - started).toBeLessThan(3000); // generous: CI shares 2 cores among suites
    expect(r?.error?.code).toBe('timeout');
    expect(r?.error?.message).toMatch(/no answer/);
  });
});
