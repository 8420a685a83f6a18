// stunBinding with servers given by name (issue 14): the name is resolved, the request goes to each
// resolved address of a family the socket can reach, and the reply (from an IP) is matched.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HostPortError } from './address.js';
import type { ServerLookup } from './resolve.js';
import { stunBinding } from './stun-binding.js';
import { type RunningStunServer, startStunServer } from './stun-server.js';

let v4: RunningStunServer;
beforeAll(async () => {
  v4 = await startStunServer({ listen: '127.0.0.1:0' });
});
afterAll(async () => {
  await v4?.close();
});

describe('stunBinding by name', () => {
  test('localhost (system resolver, /etc/hosts) gives a mapped address from the resolved IP', async () => {
    const port = v4.addresses[0]!.port;
    const results = await stunBinding([`localhost:${port}`], { deadline: 2000 });
    const ok = results.find((r) => r.serverAddress?.address === '127.0.0.1');
    expect(ok?.error).toBeUndefined();
    expect(ok?.server).toBe(`localhost:${port}`);
    expect(ok?.mapped).toMatchObject({ family: 'IPv4', address: '127.0.0.1' });
  });

  test('A and AAAA: each family asked; an IPv4 socket asks only the A address', async () => {
    const port = v4.addresses[0]!.port;
    // The server listens on 127.0.0.1 only: the AAAA attempt (::1) fails on its own within the
    // deadline, the A attempt answers.
    const lookup: ServerLookup = async (host) =>
      host === 'dual.test'
        ? [
            { address: '::1', family: 6 },
            { address: '127.0.0.1', family: 4 },
          ]
        : [];
    const results = await stunBinding([`dual.test:${port}`], { deadline: 1000, lookup });
    expect(results.map((r) => r.serverAddress?.family).sort()).toEqual(['IPv4', 'IPv6']);
    expect(results.find((r) => r.serverAddress?.family === 'IPv4')?.mapped?.address).toBe('127.0.0.1');

    const socket: Socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    try {
      const only4 = await stunBinding([`dual.test:${port}`], { deadline: 1000, lookup, socket });
      expect(only4).toHaveLength(1);
      expect(only4[0]?.serverAddress).toEqual({ family: 'IPv4', address: '127.0.0.1', port });
      expect(only4[0]?.mapped?.port).toBe(socket.address().port);
    } finally {
      socket.close();
    }
  });

  test('a name that does not resolve is one line and costs the resolver’s time only', async () => {
    const lookup: ServerLookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    const t0 = performance.now();
    const [r] = await stunBinding(['stun.example.invalid:3478'], { deadline: 3000, lookup });
    expect(performance.now() - t0).toBeLessThan(500);
    expect(r?.error?.message).toBe(
      'STUN server stun.example.invalid:3478: the name does not resolve (ENOTFOUND)',
    );
    expect(r?.error?.code).toBe('not-found');
  });

  test('a resolver that never answers is bounded by the deadline', async () => {
    const t0 = performance.now();
    const [r] = await stunBinding(['slow.test:3478'], { deadline: 200, lookup: () => new Promise(() => {}) });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(r?.error?.message).toBe(
      'STUN server slow.test:3478: the resolver gave no answer for the name within 200 ms',
    );
  });

  test('a bad port is reported as such, not sent anywhere', async () => {
    const [r] = await stunBinding(['localhost:70000'], { deadline: 500 });
    expect(r?.error?.message).toMatch(/the port must be 1-65535/);
    expect(r?.error).toBeInstanceOf(HostPortError);
    expect(r?.error?.code).toBe('bad-host-port');
  });
});
