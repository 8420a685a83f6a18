// The probe schedule of one hard-NAT attempt (issue 17), sans-IO: it decides which port of the peer's
// public address gets the next datagram, from which of our sockets, and when. It knows no STUN and no
// candidate: the agent turns each probe into an authenticated Binding request.
import { type RandomSource, randomFloat } from '../random.js';
import type { HardNatStrategy } from './plan.js';
import type { HardNatProfile } from './profile.js';

/** Per-attempt, per-side bounds of the hard-NAT extension; the options can lower them, not raise them. */
export interface HardNatLimits {
  /** Probes per second, all sockets together (default 250; at most 1,000). */
  rate: number;
  /** Datagrams one side sends in one attempt (default and maximum 1,200). */
  budget: number;
  /** Length of an attempt, ms (default and maximum 5,000). */
  duration: number;
  /** fresh-mappings: local sockets to open (default 256). */
  freshSockets: number;
  /** open-random: distinct ports of the peer to open (default 1,024). */
  randomPorts: number;
  /** keep-sending: interval between two checks on the existing mapping, ms (default 200). */
  keepInterval: number;
}

/**
 * Defaults. The birthday bound: `randomPorts` opened on one side and `freshSockets` mappings on the
 * other, over the 64,512 ports of a Linux-like random allocator, meet with probability
 * 1 - (1 - 1024/64512)^256 ≈ 98 %; 1,024 probes at 250/s take 4.1 s, inside the 5 s attempt.
 */
export const DEFAULT_HARD_NAT_LIMITS: HardNatLimits = {
  rate: 250,
  budget: 1_200,
  duration: 5_000,
  freshSockets: 256,
  randomPorts: 1_024,
  keepInterval: 200,
};

/** Hard ceilings whatever the caller asks (issue 17: polite and bounded). */
const CEILING = { rate: 1_000, budget: 1_200, duration: 5_000, freshSockets: 512 } as const;

export function boundedLimits(l: Partial<HardNatLimits> = {}): HardNatLimits {
  const m = { ...DEFAULT_HARD_NAT_LIMITS, ...l };
  return {
    ...m,
    rate: Math.min(Math.max(1, m.rate), CEILING.rate),
    budget: Math.min(Math.max(0, m.budget), CEILING.budget),
    duration: Math.min(Math.max(0, m.duration), CEILING.duration),
    freshSockets: Math.min(Math.max(1, m.freshSockets), CEILING.freshSockets),
  };
}

export interface Probe {
  /** Port on the peer's public address (the address itself is the one the peer signalled). */
  port: number;
  /** Our socket: the base of our server-reflexive candidate, or fresh socket number n. */
  from: 'base' | number;
}

/** Lowest port a random allocator hands out (Linux: 1024..65535). */
const FIRST_RANDOM_PORT = 1024;

export class HardNatProber {
  private readonly plan: Probe[];
  private next = 0;
  private readonly startedAt: number;
  private readonly interval: number;
  private readonly queue: Probe[] = [];
  private lastNow: number;

  /**
   * @param remote the peer's profile; for open-predicted its lastPort and step
   * @param stablePort the port of the peer's stable (server-reflexive) address
   * @param freshSockets how many fresh sockets exist (fresh-mappings)
   */
  constructor(
    readonly strategy: HardNatStrategy,
    remote: HardNatProfile,
    stablePort: number,
    readonly limits: HardNatLimits,
    random: RandomSource,
    now: number,
    freshSockets = 0,
  ) {
    this.startedAt = now;
    this.lastNow = now;
    this.interval = strategy === 'keep-sending' ? limits.keepInterval : 1000 / limits.rate;
    const cap = Math.min(limits.budget, Math.floor(limits.duration / this.interval));
    this.plan = schedule(strategy, remote, stablePort, limits, random, freshSockets).slice(0, cap);
  }

  /** Datagrams handed out so far. */
  get sent(): number {
    return this.next;
  }
  get planned(): number {
    return this.plan.length;
  }
  get finished(): boolean {
    return this.next >= this.plan.length || this.lastNow >= this.startedAt + this.limits.duration;
  }

  handleTimeout(now: number): void {
    this.lastNow = now;
    if (now >= this.startedAt + this.limits.duration) return;
    // Paced: probe i is due at start + i * interval; late ticks catch up without exceeding the total.
    const due = Math.min(this.plan.length, Math.floor((now - this.startedAt) / this.interval) + 1);
    while (this.next < due) this.queue.push(this.plan[this.next++] as Probe);
  }

  pollProbe(): Probe | undefined {
    return this.queue.shift();
  }

  pollTimeout(): number | undefined {
    if (this.finished) return undefined;
    return this.startedAt + this.next * this.interval;
  }
}

function schedule(
  strategy: HardNatStrategy,
  remote: HardNatProfile,
  stablePort: number,
  l: HardNatLimits,
  random: RandomSource,
  freshSockets: number,
): Probe[] {
  const out: Probe[] = [];
  switch (strategy) {
    case 'open-predicted': {
      // The peer's next mappings land on lastPort + k * step; other hosts behind its NAT push k up.
      const step = remote.step ?? 1;
      const last = remote.lastPort ?? stablePort;
      for (let k = 1; out.length < l.budget; k++) {
        const port = last + k * step;
        if (port > 65535) break;
        out.push({ port, from: 'base' });
      }
      break;
    }
    case 'open-random': {
      const seen = new Set<number>();
      const span = 65536 - FIRST_RANDOM_PORT;
      const want = Math.min(l.randomPorts, l.budget);
      while (out.length < want) {
        const port = FIRST_RANDOM_PORT + Math.floor(randomFloat(random) * span);
        if (seen.has(port)) continue;
        seen.add(port);
        out.push({ port, from: 'base' });
      }
      break;
    }
    case 'keep-sending':
      for (let i = 0; i < l.budget; i++) out.push({ port: stablePort, from: 'base' });
      break;
    case 'fresh-mappings':
      // Rounds over the sockets: the first makes the mappings, later ones cover loss and a peer whose
      // probes came after our first datagram (its filter opened later).
      while (freshSockets > 0 && out.length < l.budget)
        for (let n = 0; n < freshSockets && out.length < l.budget; n++)
          out.push({ port: stablePort, from: n });
      break;
  }
  return out;
}
