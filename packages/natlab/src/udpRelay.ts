// A seeded userspace UDP relay: delay, loss, reordering, duplication and rate that repeat run to run
// (the in-kernel impairment cannot be seeded). UDP only; no namespaces or root needed.
import { createSocket, type Socket } from 'node:dgram';

export interface UdpEndpoint {
  address: string;
  port: number;
}

export interface UdpRelayOptions {
  /** where clients send to (default 127.0.0.1, a free port) */
  listen?: Partial<UdpEndpoint>;
  /** where the relay forwards to; replies come back to the client that sent */
  target: UdpEndpoint;
  /** one-way delay added in each direction, ms */
  delayMs?: number;
  /** probability 0..1 that a datagram is dropped, each direction */
  lossRate?: number;
  /** probability 0..1 that a datagram is held longer (reorderDelayMs) so later ones pass it */
  reorderRate?: number;
  /** extra hold of a reordered datagram, ms (default max(delayMs, 10)) */
  reorderDelayMs?: number;
  /** probability 0..1 that a datagram is sent twice */
  duplicateRate?: number;
  /** rate limit each direction, bits/s (a FIFO behind it; 0 = none) */
  rateBps?: number;
  /** FIFO size behind the rate limit, bytes (default 256 KiB); datagrams beyond it are dropped */
  queueBytes?: number;
  /** PRNG seed: the same seed and the same arrival order give the same drops and reorders */
  seed: number;
}

export interface UdpRelayStats {
  received: number;
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

export interface UdpRelay {
  address: string;
  port: number;
  stats: UdpRelayStats;
  close(): Promise<void>;
}

/** A small seeded PRNG (splitmix32), uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 0x100000000;
  };
}

interface Direction {
  random: () => number;
  /** when the rate limiter is next free, ms (performance.now() clock) */
  busyUntil: number;
  queued: number;
}

export async function startUdpRelay(opts: UdpRelayOptions): Promise<UdpRelay> {
  const stats: UdpRelayStats = { received: 0, forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 };
  const delayMs = opts.delayMs ?? 0;
  const reorderDelayMs = opts.reorderDelayMs ?? Math.max(delayMs, 10);
  const queueBytes = opts.queueBytes ?? 256 * 1024;
  const timers = new Set<NodeJS.Timeout>();
  const up: Direction = { random: seededRandom(opts.seed), busyUntil: 0, queued: 0 };
  const down: Direction = { random: seededRandom(opts.seed ^ 0x5bd1e995), busyUntil: 0, queued: 0 };
  let closed = false;

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  };

  const relay = (dir: Direction, data: Buffer, send: (d: Buffer) => void): void => {
    stats.received++;
    // Draw the same number of random values for every datagram so one decision never shifts another.
    const rLoss = dir.random();
    const rReorder = dir.random();
    const rDup = dir.random();
    if (rLoss < (opts.lossRate ?? 0)) {
      stats.dropped++;
      return;
    }
    let wait = delayMs;
    if (opts.rateBps && opts.rateBps > 0) {
      if (dir.queued + data.length > queueBytes) {
        stats.dropped++;
        return;
      }
      const now = performance.now();
      const start = Math.max(now, dir.busyUntil);
      dir.busyUntil = start + (data.length * 8 * 1000) / opts.rateBps;
      dir.queued += data.length;
      wait += dir.busyUntil - now;
      later(dir.busyUntil - now, () => {
        dir.queued -= data.length;
      });
    }
    if (rReorder < (opts.reorderRate ?? 0)) {
      stats.reordered++;
      wait += reorderDelayMs;
    }
    const copies = rDup < (opts.duplicateRate ?? 0) ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let i = 0; i < copies; i++)
      later(wait, () => {
        stats.forwarded++;
        send(data);
      });
  };

  const front = createSocket('udp4');
  const upstream = new Map<string, Socket>();
  front.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let sock = upstream.get(key);
    if (!sock) {
      const s = createSocket('udp4');
      s.on('message', (reply) => relay(down, reply, (d) => front.send(d, rinfo.port, rinfo.address)));
      s.on('error', () => undefined);
      s.bind(0);
      upstream.set(key, s);
      sock = s;
    }
    const s = sock;
    relay(up, msg, (d) => s.send(d, opts.target.port, opts.target.address));
  });
  front.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.bind(opts.listen?.port ?? 0, opts.listen?.address ?? '127.0.0.1', () => resolve());
  });
  const addr = front.address();
  return {
    address: addr.address,
    port: addr.port,
    stats,
    close: async () => {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of upstream.values()) s.close();
      await new Promise<void>((r) => front.close(() => r()));
    },
  };
}
