// Real component faults: coturn that stops answering (SIGSTOP) and coturn restarted (allocation lost).
import { checkPrerequisites } from '@p2pcat/natlab';
import { afterEach, describe, expect, it } from 'vitest';
import { type TurnError, TurnSocket } from '../src/index.js';
import { type Coturn, startCoturn } from './coturn.js';

const pre = checkPrerequisites({ commands: ['turnserver', 'openssl'] });

function nextError(sock: TurnSocket, timeoutMs: number): Promise<{ error: TurnError; at: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no error reported within the time limit')), timeoutMs);
    sock.once('error', (error: TurnError) => {
      clearTimeout(timer);
      resolve({ error, at: performance.now() });
    });
  });
}

describe.skipIf(pre.skip)('TURN client faults against coturn', () => {
  let coturn: Coturn | undefined;
  afterEach(async () => {
    coturn?.resume();
    await coturn?.stop();
    coturn = undefined;
  });

  it.each(['udp', 'tcp'] as const)(
    'detects a server that stops answering within the configured deadline (%s)',
    async (transport) => {
      coturn = await startCoturn();
      const deadline = 3000;
      const a = new TurnSocket({
        server: { family: 'IPv4', address: '127.0.0.1', port: coturn.port },
        transport,
        username: coturn.username,
        password: coturn.password,
        deadline,
      });
      await a.allocate();
      const failed = nextError(a, deadline * 3);
      coturn.pause();
      const pausedAt = performance.now();
      const { error, at } = await failed;
      expect(error.code).toBe('server-unreachable');
      expect(error.message).toMatch(/^TURN server 127\.0\.0\.1:\d+ did not answer within 3000 ms/);
      expect(at - pausedAt).toBeLessThanOrEqual(deadline + 500);
      expect(a.state).toBe('failed');
    },
    30_000,
  );

  it('detects a lost TCP connection at once', async () => {
    coturn = await startCoturn();
    const a = new TurnSocket({
      server: { family: 'IPv4', address: '127.0.0.1', port: coturn.port },
      transport: 'tcp',
      username: coturn.username,
      password: coturn.password,
    });
    await a.allocate();
    const failed = nextError(a, 10_000);
    await coturn.stop();
    coturn = undefined;
    const { error } = await failed;
    expect(error.code).toBe('connection-lost');
  }, 30_000);

  it('reports 437 after a server restart once, and does not retry forever', async () => {
    coturn = await startCoturn();
    const a = new TurnSocket({
      server: { family: 'IPv4', address: '127.0.0.1', port: coturn.port },
      username: coturn.username,
      password: coturn.password,
      deadline: 4000, // liveness Refresh after 2 s of silence
    });
    await a.allocate();
    let errors = 0;
    const failed = nextError(a, 15_000);
    a.on('error', () => errors++);
    await coturn.restart();
    const { error } = await failed;
    expect(error.status).toBe(437);
    expect(error.code).toBe('allocation-mismatch');
    expect(error.message).toContain('allocate again');
    await new Promise((r) => setTimeout(r, 3000));
    expect(errors).toBe(1);
    expect(a.state).toBe('failed');
  }, 40_000);
});

describe.skipIf(pre.skip)('TURN client keeping a short-lived allocation on coturn', () => {
  let coturn: Coturn | undefined;
  afterEach(async () => {
    await coturn?.stop();
    coturn = undefined;
  });

  it('refreshes before expiry and rides through stale nonces (438)', async () => {
    coturn = await startCoturn({ extraArgs: ['--max-allocate-lifetime=6', '--stale-nonce=2'] });
    const server = { family: 'IPv4', address: '127.0.0.1', port: coturn.port } as const;
    const opts = { server, username: coturn.username, password: coturn.password, lifetime: 6 };
    const a = new TurnSocket(opts);
    const b = new TurnSocket(opts);
    const [ra, rb] = await Promise.all([a.allocate(), b.allocate()]);
    expect(a.lifetime).toBe(6);
    await Promise.all([a.createPermission(rb.relayedAddress), b.createPermission(ra.relayedAddress)]);
    await new Promise((r) => setTimeout(r, 10_000));
    expect(a.state).toBe('allocated');
    // refreshed (coturn answered the first Refresh with 438: its nonce lives 2 s) before the 6 s ran out;
    // without it coturn would have expired the allocation and relayed nothing below
    expect(a.stats.refreshes).toBeGreaterThanOrEqual(1);
    const got = new Promise<Uint8Array>((resolve) => b.once('message', (d: Uint8Array) => resolve(d)));
    a.send(new Uint8Array([1, 2, 3]), rb.relayedAddress);
    expect(await got).toEqual(new Uint8Array([1, 2, 3]));
    await Promise.all([a.close(), b.close()]);
  }, 30_000);
});

describe.skipIf(pre.skip)('TURN client typed errors from coturn policies', () => {
  let coturn: Coturn | undefined;
  afterEach(async () => {
    await coturn?.stop();
    coturn = undefined;
  });

  it('reports 486 for a user over quota and 403 as a warning for a denied peer', async () => {
    coturn = await startCoturn({ extraArgs: ['--user-quota=1', '--denied-peer-ip=127.0.0.5'] });
    const server = { family: 'IPv4', address: '127.0.0.1', port: coturn.port } as const;
    const opts = { server, username: coturn.username, password: coturn.password };
    const a = new TurnSocket(opts);
    await a.allocate();
    const b = new TurnSocket(opts);
    const quota = (await b.allocate().catch((e: unknown) => e)) as TurnError;
    expect(quota.status).toBe(486);
    expect(quota.message).toBe(
      'TURN server allocation quota reached for this user (486): close other allocations or try later',
    );
    const denied = (await a
      .createPermission({ family: 'IPv4', address: '127.0.0.5', port: 9 })
      .catch((e: unknown) => e)) as TurnError;
    expect(denied.status).toBe(403);
    expect(denied.code).toBe('forbidden');
    expect(a.state).toBe('allocated');
    await a.close();
  });
});
