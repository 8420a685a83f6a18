// A seeded, discrete-event simulated network between two sans-IO endpoints: delay, jitter
// (reordering), random loss, duplication and a rate-limited bottleneck with a drop-tail queue.

import { createHash } from 'node:crypto';
import type { PseudoTcp, PseudoTcpEvent } from '../src/core/pseudotcp.js';
import { Prng } from './prng.js';

export interface LinkConfig {
  delayMs?: number;
  jitterMs?: number;
  loss?: number;
  duplicate?: number;
  /** Bottleneck rate in bytes per ms (1 MB/s = 1000). */
  rate?: number;
  /** Bottleneck queue in bytes, default 256 KiB. */
  queueBytes?: number;
  /** Drop every datagram (a dead path). */
  blackhole?: boolean;
  /**
   * Arrivals are delivered together at the next multiple of this many ms, before either peer
   * drains its output (an event loop that reads several datagrams per turn).
   */
  batchMs?: number;
}

interface InFlight {
  at: number;
  order: number;
  to: 0 | 1;
  data: Uint8Array;
}

class Heap {
  private a: InFlight[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): InFlight | undefined {
    return this.a[0];
  }
  private less(x: InFlight, y: InFlight): boolean {
    return x.at < y.at || (x.at === y.at && x.order < y.order);
  }
  push(v: InFlight): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i] as InFlight, a[p] as InFlight)) break;
      [a[i], a[p]] = [a[p] as InFlight, a[i] as InFlight];
      i = p;
    }
  }
  pop(): InFlight | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l] as InFlight, a[m] as InFlight)) m = l;
        if (r < a.length && this.less(a[r] as InFlight, a[m] as InFlight)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as InFlight, a[i] as InFlight];
        i = m;
      }
    }
    return top;
  }
}

export class SimNetwork {
  now = 0;
  readonly prng: Prng;
  private readonly heap = new Heap();
  private order = 0;
  private stuck = 0;
  private readonly linkFree = [0, 0];
  readonly links: [LinkConfig, LinkConfig];
  readonly events: [PseudoTcpEvent[], PseudoTcpEvent[]] = [[], []];
  /** Datagrams put on each link, and a hook to inspect or drop them. */
  readonly sent = [0, 0];
  filter: ((from: 0 | 1, data: Uint8Array) => boolean) | undefined;

  constructor(
    readonly peers: [PseudoTcp, PseudoTcp],
    seed: number,
    linkAtoB: LinkConfig = {},
    linkBtoA: LinkConfig = linkAtoB,
  ) {
    this.prng = new Prng(seed);
    this.links = [linkAtoB, linkBtoA];
  }

  /** Move every pending datagram of both peers onto the links. */
  pump(): void {
    for (const from of [0, 1] as const) {
      const peer = this.peers[from];
      for (let d = peer.pollTransmit(); d !== undefined; d = peer.pollTransmit()) this.put(from, d);
      for (let e = peer.pollEvent(); e !== undefined; e = peer.pollEvent()) this.events[from].push(e);
    }
  }

  private put(from: 0 | 1, data: Uint8Array): void {
    this.sent[from]++;
    if (this.filter !== undefined && !this.filter(from, data)) return;
    const link = this.links[from];
    if (link.blackhole) return;
    const r = this.prng;
    if ((link.loss ?? 0) > 0 && r.next() < (link.loss ?? 0)) return;
    let at = this.now;
    if (link.rate !== undefined) {
      const free = Math.max(this.linkFree[from] ?? 0, this.now);
      const queued = (free - this.now) * link.rate;
      if (queued + data.length > (link.queueBytes ?? 256 * 1024)) return; // drop-tail
      at = free + data.length / link.rate;
      this.linkFree[from] = at;
    }
    const copies = (link.duplicate ?? 0) > 0 && r.next() < (link.duplicate ?? 0) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const jitter = (link.jitterMs ?? 0) > 0 ? r.next() * (link.jitterMs ?? 0) : 0;
      const arrival = at + (link.delayMs ?? 0) + jitter;
      const batch = link.batchMs ?? 0;
      this.heap.push({
        at: batch > 0 ? Math.ceil(arrival / batch) * batch : arrival,
        order: this.order++,
        to: from === 0 ? 1 : 0,
        data,
      });
    }
  }

  /** Advance to the next event (arrival or timer); false when nothing is left to happen before `until`. */
  step(until: number): boolean {
    this.pump();
    let t = Number.POSITIVE_INFINITY;
    const next = this.heap.peek();
    if (next !== undefined) t = next.at;
    for (const p of this.peers) {
      const pt = p.pollTimeout();
      if (pt !== undefined) t = Math.min(t, pt);
    }
    if (!Number.isFinite(t) || t > until) {
      this.now = Math.max(this.now, Math.min(until, t));
      return false;
    }
    if (t <= this.now) {
      if (++this.stuck > 100_000) {
        throw new Error(
          `simulation stuck at ${this.now} ms: states ${this.peers.map((p) => p.state)}, timeouts ${this.peers.map((p) => p.pollTimeout())}`,
        );
      }
    } else {
      this.stuck = 0;
    }
    this.now = Math.max(this.now, t);
    for (let n = this.heap.peek(); n !== undefined && n.at <= this.now; n = this.heap.peek()) {
      this.heap.pop();
      this.peers[n.to].handleInput(n.data, this.now);
    }
    for (const p of this.peers) {
      const pt = p.pollTimeout();
      if (pt !== undefined && pt <= this.now) p.handleTimeout(this.now);
    }
    this.pump();
    return true;
  }

  /** Run until `done()` or the time limit; returns whether done() became true. */
  runUntil(done: () => boolean, limitMs: number, onStep?: () => void): boolean {
    const until = this.now + limitMs;
    for (;;) {
      onStep?.();
      this.pump();
      if (done()) return true;
      if (!this.step(until)) {
        onStep?.();
        this.pump();
        return done();
      }
    }
  }
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface TransferResult {
  ok: boolean;
  simulatedMs: number;
  sentHash: string;
  receivedHash: string;
  received: number;
}

/**
 * Open a connection (simultaneous open unless `oneSided`), send `data` from peer 0 to peer 1,
 * read everything at peer 1 and hash it.
 */
export function transfer(
  net: SimNetwork,
  data: Uint8Array,
  opts: { oneSided?: boolean; limitMs?: number; readChunk?: number; closeAtEnd?: boolean } = {},
): TransferResult {
  const [a, b] = net.peers;
  a.connect(net.now);
  if (!opts.oneSided) b.connect(net.now);
  const hash = createHash('sha256');
  let written = 0;
  let received = 0;
  let closed = false;
  const start = net.now;
  const ok = net.runUntil(
    () => received >= data.length && (!opts.closeAtEnd || (a.state === 'closed' && b.state === 'closed')),
    opts.limitMs ?? 600_000,
    () => {
      if (a.state === 'established' || a.state === 'close-wait') {
        while (written < data.length) {
          const n = a.send(data.subarray(written, written + 256 * 1024), net.now);
          if (n === 0) break;
          written += n;
        }
        if (written === data.length && opts.closeAtEnd && !closed) {
          closed = true;
          a.close(net.now);
        }
      }
      for (let chunk = b.recv(opts.readChunk); chunk !== undefined; chunk = b.recv(opts.readChunk)) {
        hash.update(chunk);
        received += chunk.length;
      }
      if (
        opts.closeAtEnd &&
        received >= data.length &&
        (b.state === 'close-wait' || b.state === 'established')
      ) {
        b.close(net.now);
      }
    },
  );
  return {
    ok,
    simulatedMs: net.now - start,
    sentHash: sha256(data),
    receivedHash: hash.digest('hex'),
    received,
  };
}
