// e2e, no root: the real STUN server (the Node adapter in this process, and the stun-server bin as
// a child process) on loopback takes a seeded flood of hostile datagrams. It must stay up, never
// answer with more bytes than the request except a Binding success, and afterwards still answer a
// plain Binding request correctly. The per-source rate limit is raised for the flood (so the
// flood tests the parser, not the limiter) and tested on its own below.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, Socket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import {
  decodeStunMessage,
  parseTransportAddress,
  type RunningStunServer,
  StunMessageBuilder,
  StunMethod,
  startStunServer,
  type TransportAddress,
} from '../src/index.js';
import { type FuzzKind, fuzzDatagram, prng } from './fuzz-datagrams.js';

const NO_LIMIT = { rate: 1e9, burst: 1e9, maxSources: 10_000 };
const SOCKETS = 16;
const BATCH = 100;

interface FuzzReport {
  sent: number;
  answers: number;
  successes: number;
  errors: number;
  /** Largest response/request size ratio seen, by class. */
  maxErrorRatio: number;
  maxSuccessRatio: number;
  /** Bytes answered / bytes sent. */
  byteRatio: number;
  violations: string[];
  seconds: number;
  perKind: Partial<Record<FuzzKind, number>>;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function bindSocket(): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      s.off('error', reject);
      s.on('error', () => {});
      resolve(s);
    });
  });
}

async function fuzz(targets: readonly TransportAddress[], count: number, seed: number): Promise<FuzzReport> {
  const sockets = await Promise.all(Array.from({ length: SOCKETS }, bindSocket));
  const pinger = await bindSocket();
  const ports = sockets.map((s) => s.address().port);
  const rand = prng(seed);
  const requests = new Map<string, number>();
  const report: FuzzReport = {
    sent: 0,
    answers: 0,
    successes: 0,
    errors: 0,
    maxErrorRatio: 0,
    maxSuccessRatio: 0,
    byteRatio: 0,
    violations: [],
    seconds: 0,
    perKind: {},
  };
  let bytesIn = 0;
  let bytesOut = 0;
  for (const s of sockets) {
    s.on('message', (msg: Buffer) => {
      report.answers++;
      bytesOut += msg.length;
      const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      let m: ReturnType<typeof decodeStunMessage>;
      try {
        m = decodeStunMessage(data);
      } catch (e) {
        report.violations.push(`undecodable answer: ${(e as Error).message}`);
        return;
      }
      const requestLength = requests.get(hex(data.subarray(8, 20)));
      if (requestLength === undefined) {
        report.violations.push(`answer to nothing sent (${m.class})`);
        return;
      }
      const ratio = data.length / requestLength;
      if (m.class === 'success') {
        report.successes++;
        report.maxSuccessRatio = Math.max(report.maxSuccessRatio, ratio);
        let mapped: TransportAddress | undefined;
        try {
          mapped = m.get('XOR_MAPPED_ADDRESS') ?? m.get('MAPPED_ADDRESS');
        } catch {
          mapped = undefined;
        }
        if (mapped?.address !== '127.0.0.1' || !ports.includes(mapped.port))
          report.violations.push(`success with a wrong mapped address ${JSON.stringify(mapped)}`);
      } else if (m.class === 'error') {
        report.errors++;
        report.maxErrorRatio = Math.max(report.maxErrorRatio, ratio);
        if (ratio > 1)
          report.violations.push(`error answer ${data.length} bytes to a ${requestLength}-byte request`);
      } else {
        report.violations.push(`answer of class ${m.class}`);
      }
    });
  }
  const started = performance.now();
  for (let i = 0; i < count; i += BATCH) {
    const n = Math.min(BATCH, count - i);
    await new Promise<void>((resolve) => {
      let pending = n;
      const done = () => {
        if (--pending === 0) resolve();
      };
      for (let j = 0; j < n; j++) {
        const { kind, data } = fuzzDatagram(rand, { responsePorts: ports });
        report.perKind[kind] = (report.perKind[kind] ?? 0) + 1;
        if (data.length >= 20) requests.set(hex(data.subarray(8, 20)), data.length);
        bytesIn += data.length;
        const to = targets[Math.floor(rand() * targets.length)]!;
        sockets[(i + j) % SOCKETS]!.send(data, to.port, to.address, done);
      }
    });
    report.sent += n;
    // Pace: a ping to each server socket; UDP is FIFO, so its answer means the batch was read.
    await Promise.all(targets.map((t) => ping(pinger, t)));
  }
  pinger.close();
  await new Promise((r) => setTimeout(r, 300));
  report.seconds = (performance.now() - started) / 1000;
  report.byteRatio = bytesOut / bytesIn;
  for (const s of sockets) s.close();
  return report;
}

/** A Binding request and its answer (retried: the server's socket may have overflowed). */
async function ping(s: UdpSocket, to: TransportAddress): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const b = new StunMessageBuilder('request', StunMethod.Binding);
    const id = hex(b.transactionId);
    const answered = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        s.off('message', on);
        resolve(false);
      }, 250);
      const on = (msg: Buffer) => {
        if (msg.length < 20 || hex(new Uint8Array(msg).subarray(8, 20)) !== id) return;
        clearTimeout(timer);
        s.off('message', on);
        resolve(true);
      };
      s.on('message', on);
      s.send(b.build(), to.port, to.address);
    });
    if (answered) return;
  }
  throw new Error(`the server at ${to.address}:${to.port} stopped answering`);
}

/** A plain Binding request from a fresh socket; the answer's XOR-MAPPED-ADDRESS must be that socket. */
async function freshBinding(to: TransportAddress, extra?: (b: StunMessageBuilder) => void) {
  const s = await bindSocket();
  try {
    const b = new StunMessageBuilder('request', StunMethod.Binding);
    extra?.(b);
    const answer = new Promise<ReturnType<typeof decodeStunMessage>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer')), 1500);
      s.once('message', (msg: Buffer) => {
        clearTimeout(timer);
        resolve(decodeStunMessage(new Uint8Array(msg)));
      });
    });
    s.send(b.build(), to.port, to.address);
    return { local: s.address().port, message: await answer };
  } finally {
    setTimeout(() => s.close(), 0);
  }
}

function printReport(name: string, r: FuzzReport): void {
  process.stderr.write(
    `${name}: ${r.sent} datagrams in ${r.seconds.toFixed(1)} s (${Math.round(r.sent / r.seconds)}/s), ` +
      `${r.answers} answers (${r.successes} success, ${r.errors} error), max ratio error ${r.maxErrorRatio.toFixed(2)} ` +
      `success ${r.maxSuccessRatio.toFixed(2)}, bytes out/in ${r.byteRatio.toFixed(3)}\n`,
  );
}

function checkReport(r: FuzzReport, count: number): void {
  expect(r.violations.slice(0, 5)).toEqual([]);
  expect(r.sent).toBe(count);
  expect(r.maxErrorRatio).toBeLessThanOrEqual(1);
  // Meaningful only if the flood was parsed and answered in numbers.
  expect(r.successes).toBeGreaterThan(count / 20);
  expect(r.errors).toBeGreaterThan(count / 50);
}

describe('the Node adapter under a flood of hostile datagrams', () => {
  let server: RunningStunServer;
  const debugLines: string[] = [];
  beforeAll(async () => {
    server = await startStunServer({
      listen: '127.0.0.1:0',
      alternate: '127.0.0.2:0',
      tcp: false,
      software: 'p2pcat-stun fuzz target',
      rateLimit: NO_LIMIT,
      debug: (line) => debugLines.push(line),
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  test('100 000 datagrams: stays up, no error answer larger than its request, then answers correctly', async () => {
    const count = 100_000;
    const r = await fuzz(server.addresses, count, 13);
    printReport('node adapter', r);
    process.stderr.write(`node adapter stats: ${JSON.stringify(server.stats)}\n`);
    checkReport(r, count);
    const { success, errors, dropped, withheld } = server.stats;
    // Paced: (nearly) every datagram reached the server and was decided on.
    expect(success + errors + dropped + withheld).toBeGreaterThan(count * 0.95);
    const { local, message } = await freshBinding(server.primary);
    expect(message.class).toBe('success');
    expect(message.get('XOR_MAPPED_ADDRESS')).toEqual({ family: 'IPv4', address: '127.0.0.1', port: local });
  }, 60_000);

  test('a send that throws or fails is counted and logged, and the server keeps serving', async () => {
    const failures = server.stats.sendFailures;
    // Only the server's sockets fail (the test's client sockets share the prototype).
    const original = Socket.prototype.send;
    const serverPorts = server.addresses.map((a) => a.port);
    let mode: 'throw' | 'callback' | 'pass' = 'throw';
    const send = vi.spyOn(Socket.prototype, 'send').mockImplementation(function (
      this: Socket,
      ...args: unknown[]
    ) {
      if (mode !== 'pass' && serverPorts.includes(this.address().port)) {
        const now = mode;
        mode = 'pass';
        if (now === 'throw') throw new Error('thrown by the test');
        const callback = args.find((a) => typeof a === 'function') as ((e: Error | null) => void) | undefined;
        callback?.(new Error('reported by the test'));
        return;
      }
      return (original as (...a: unknown[]) => void).apply(this, args);
    } as never);
    await expect(freshBinding(server.primary)).rejects.toThrow(/no answer/);
    mode = 'callback';
    await expect(freshBinding(server.primary)).rejects.toThrow(/no answer/);
    send.mockRestore();
    expect(server.stats.sendFailures).toBe(failures + 2);
    expect(debugLines.some((l) => l.includes('thrown by the test'))).toBe(true);
    expect(debugLines.some((l) => l.includes('reported by the test'))).toBe(true);
    const { message } = await freshBinding(server.primary);
    expect(message.class).toBe('success');
  }, 20_000);
});

describe('the default per-source rate limit (50/s, burst 100)', () => {
  test('a flood from one source gets at most burst + rate x elapsed answers', async () => {
    const server = await startStunServer({ listen: '127.0.0.1:0', tcp: false });
    const s = await bindSocket();
    try {
      let answers = 0;
      s.on('message', () => answers++);
      const started = performance.now();
      const request = new StunMessageBuilder('request', StunMethod.Binding).build();
      for (let i = 0; i < 2000; i += 50) {
        await new Promise<void>((resolve) => {
          let pending = 50;
          for (let j = 0; j < 50; j++)
            s.send(request, server.primary.port, '127.0.0.1', () => --pending === 0 && resolve());
        });
        // Let the server read them (same process): the flood is about the limiter, not lost datagrams.
        await new Promise((r) => setTimeout(r, 2));
      }
      await new Promise((r) => setTimeout(r, 200));
      const elapsed = (performance.now() - started) / 1000;
      process.stderr.write(
        `rate limit: ${answers} answers to 2000 requests in ${elapsed.toFixed(2)} s; stats ${JSON.stringify(server.stats)}\n`,
      );
      expect(answers).toBeGreaterThanOrEqual(100);
      expect(answers).toBeLessThanOrEqual(100 + Math.ceil(50 * elapsed) + 1);
      expect(server.stats.rateLimited).toBeGreaterThan(0);
      expect(server.stats.success + server.stats.rateLimited).toBeGreaterThan(1500);
      // Another source is served at once.
      const { message } = await freshBinding(server.primary);
      expect(message.class).toBe('success');
    } finally {
      s.close();
      await server.close();
    }
  }, 30_000);
});

const bin = fileURLToPath(new URL('../dist/bin/stun-server.js', import.meta.url));
const built = existsSync(bin);
if (!built) process.stderr.write('skipped: build packages/stun first (dist/bin/stun-server.js missing)\n');

async function startBin(args: string[]): Promise<{ child: ChildProcess; addresses: TransportAddress[] }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const addresses = await new Promise<TransportAddress[]>((resolve, reject) => {
    let out = '';
    const want = args.includes('--alt') ? 4 : 1;
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const found = [...out.matchAll(/listening on udp (\S+)/g)].map((m) =>
        parseTransportAddress(m[1] ?? ''),
      );
      if (found.length === want) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`stun-server exited with ${code}`)));
  });
  return { child, addresses };
}

describe.skipIf(!built)('the stun-server bin under a flood of hostile datagrams', () => {
  let child: ChildProcess;
  let addresses: TransportAddress[] = [];
  beforeAll(async () => {
    ({ child, addresses } = await startBin([
      '--listen',
      '127.0.0.1:0',
      '--alt',
      '127.0.0.2:0',
      '--no-tcp',
      '--rate',
      '1000000000',
      '--burst',
      '1000000000',
    ]));
  });
  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGTERM');
  });

  test('RESPONSE-PORT 0 gets a 400 and the process keeps serving', async () => {
    const { message } = await freshBinding(addresses[0]!, (b) => b.add('RESPONSE_PORT', 0));
    expect(message.class).toBe('error');
    expect(message.get('ERROR_CODE')?.code).toBe(400);
    expect(child.exitCode).toBeNull();
  });

  test('40 000 datagrams: stays up, no error answer larger than its request, then answers correctly', async () => {
    const count = 40_000;
    const r = await fuzz(addresses, count, 5780);
    printReport('stun-server bin', r);
    checkReport(r, count);
    expect(child.exitCode).toBeNull();
    const { local, message } = await freshBinding(addresses[0]!);
    expect(message.get('XOR_MAPPED_ADDRESS')).toEqual({ family: 'IPv4', address: '127.0.0.1', port: local });
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 60_000);
});

describe.skipIf(!built)('the stun-server bin rate limit flags', () => {
  test('--rate 10 --burst 20: a flood from one source gets at most 20 + 10 x elapsed answers', async () => {
    const { child, addresses } = await startBin([
      '--listen',
      '127.0.0.1:0',
      '--no-tcp',
      '--rate',
      '10',
      '--burst',
      '20',
    ]);
    const s = await bindSocket();
    try {
      let answers = 0;
      s.on('message', () => answers++);
      const started = performance.now();
      const request = new StunMessageBuilder('request', StunMethod.Binding).build();
      await new Promise<void>((resolve) => {
        let pending = 500;
        for (let j = 0; j < 500; j++)
          s.send(request, addresses[0]!.port, '127.0.0.1', () => --pending === 0 && resolve());
      });
      await new Promise((r) => setTimeout(r, 300));
      const elapsed = (performance.now() - started) / 1000;
      expect(answers).toBeGreaterThanOrEqual(20);
      expect(answers).toBeLessThanOrEqual(20 + Math.ceil(10 * elapsed) + 1);
    } finally {
      s.close();
      child.kill('SIGTERM');
    }
  }, 30_000);

  test('a bad --rate: exit code 2 and one line', async () => {
    const child = spawn(process.execPath, [bin, '--listen', '127.0.0.1:0', '--rate', 'fast'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err.split('\n')[0]).toBe('stun-server: --rate fast: expected a positive number');
  });
});
