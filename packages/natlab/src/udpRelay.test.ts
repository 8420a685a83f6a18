import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom, startUdpRelay, type UdpRelayOptions } from './udpRelay.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** An echo server on loopback; returns its port. */
async function echo(): Promise<number> {
  const s = createSocket('udp4');
  s.on('message', (m, r) => s.send(m, r.port, r.address));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise((r) => s.close(() => r())));
  return s.address().port;
}

/** Sends n numbered datagrams 2 ms apart through a relay to an echo server; returns what came back. */
async function exchange(
  opts: Omit<UdpRelayOptions, 'target'>,
  n: number,
): Promise<{ got: number[]; rtt: number[]; span: number }> {
  const relay = await startUdpRelay({ ...opts, target: { address: '127.0.0.1', port: await echo() } });
  cleanups.push(() => relay.close());
  const c = createSocket('udp4');
  cleanups.push(() => new Promise((r) => c.close(() => r())));
  const got: number[] = [];
  const rtt: number[] = [];
  const sentAt = new Map<number, number>();
  let lastReply = 0;
  c.on('message', (m) => {
    const i = m.readUInt32BE(0);
    got.push(i);
    lastReply = performance.now();
    rtt.push(lastReply - (sentAt.get(i) ?? 0));
  });
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(100);
    b.writeUInt32BE(i);
    sentAt.set(i, performance.now());
    c.send(b, relay.port, relay.address);
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, 200 + 2 * ((opts.delayMs ?? 0) + (opts.reorderDelayMs ?? 0))));
  return { got, rtt, span: lastReply - (sentAt.get(0) ?? 0) };
}

describe('startUdpRelay', () => {
  it('seededRandom repeats for a seed and differs across seeds', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('drops the same datagrams on every run with the same seed', async () => {
    const first = await exchange({ seed: 42, lossRate: 0.3 }, 60);
    const second = await exchange({ seed: 42, lossRate: 0.3 }, 60);
    expect(first.got.length).toBeLessThan(60);
    expect(first.got.length).toBeGreaterThan(15);
    expect(new Set(second.got)).toEqual(new Set(first.got));
  });

  it('adds the delay each way', async () => {
    const { got, rtt } = await exchange({ seed: 1, delayMs: 20 }, 5);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    for (const t of rtt) expect(t).toBeGreaterThanOrEqual(39);
  });

  it('duplicates and reorders', async () => {
    const dup = await exchange({ seed: 3, duplicateRate: 1 }, 5);
    expect(dup.got.length).toBe(20); // doubled on the way out and again on the way back
    // held 100 ms: overtaken even when a loaded machine fires the sender's 2 ms timers late
    const re = await exchange({ seed: 3, reorderRate: 0.3, reorderDelayMs: 100 }, 30);
    expect(new Set(re.got).size).toBe(30);
    expect(re.got).not.toEqual([...re.got].sort((x, y) => x - y));
  });

  it('limits the rate', async () => {
    // 100-byte datagrams at 80 kbit/s: 10 ms each, so 20 of them take at least 200 ms to pass one
    // way, however slowly the sender's 2 ms timers fire on a loaded machine (the bound is the
    // relay's: from the first send to the last echo, never from per-datagram round trips, which a
    // late sender shortens).
    const { got, span } = await exchange({ seed: 5, rateBps: 80_000 }, 20);
    expect(got).toHaveLength(20);
    expect(span).toBeGreaterThanOrEqual(195);
  });
});
