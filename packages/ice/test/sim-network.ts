// A seeded simulated network for sans-IO agents: delay, jitter (reorder), loss, duplication, and NATs with
// endpoint-independent or address-and-port-dependent mapping and filtering. Time is simulated.
import type { TransportAddress } from '@p2pcat/stun';
import type { IceAgent, IceEvent } from '../src/index.js';
import { seededRandom } from '../src/index.js';

export type Mapping = 'EIM' | 'APDM';
export type Filtering = 'EIF' | 'APDF';

const key = (a: TransportAddress) => `${a.address}:${a.port}`;

/** How an APDM NAT picks the port of a new mapping (issue 17): the next by `step`, or at random. */
export interface SimNatAllocation {
  kind: 'sequential' | 'random';
  /** sequential: increment (default 1) */
  step?: number;
  /** random: the seed of the port choice */
  seed?: number;
}

export class SimNat {
  private nextPort = 40000;
  private readonly rnd: ReturnType<typeof seededRandom> | undefined;
  private readonly step: number;
  private readonly out = new Map<string, number>(); // internal(+dest) -> public port
  private readonly inbound = new Map<number, { internal: TransportAddress; allowed: Set<string> }>();
  constructor(
    readonly publicIp: string,
    readonly mapping: Mapping,
    readonly filtering: Filtering,
    readonly allocation: SimNatAllocation = { kind: 'sequential' },
  ) {
    this.step = allocation.step ?? 1;
    if (allocation.kind === 'random') this.rnd = seededRandom(allocation.seed ?? 1);
  }

  /** Another host behind this NAT opens a flow: it takes a port (cross traffic). */
  takePort(): number {
    const to = { family: 'IPv4' as const, address: '192.0.2.99', port: 1 + (this.crossFlows++ % 65000) };
    return this.outbound({ family: 'IPv4', address: '10.255.0.9', port: 9 }, to).port;
  }
  private crossFlows = 0;

  private allocate(): number {
    if (!this.rnd) {
      const p = this.nextPort;
      this.nextPort += this.step;
      return p;
    }
    for (;;) {
      const p = 1024 + Math.floor(this.rnd.float() * (65536 - 1024));
      if (!this.inbound.has(p)) return p;
    }
  }

  /** Translates an outgoing packet's source; records the filter permission. */
  outbound(source: TransportAddress, dest: TransportAddress): TransportAddress {
    const k = this.mapping === 'EIM' ? key(source) : `${key(source)}>${key(dest)}`;
    let port = this.out.get(k);
    if (port === undefined) {
      port = this.allocate();
      this.out.set(k, port);
      this.inbound.set(port, { internal: source, allowed: new Set() });
    }
    this.inbound.get(port)?.allowed.add(key(dest));
    return { family: 'IPv4', address: this.publicIp, port };
  }

  /** The server-reflexive address a STUN server at `server` would report. */
  reflexive(source: TransportAddress, server: TransportAddress): TransportAddress {
    const a = this.outbound(source, server);
    return a;
  }

  inboundTo(port: number, from: TransportAddress): TransportAddress | undefined {
    const m = this.inbound.get(port);
    if (!m) return undefined;
    if (this.filtering === 'APDF' && !m.allowed.has(key(from))) return undefined;
    return m.internal;
  }
}

export interface SimNode {
  name: string;
  agent: IceAgent;
  base: TransportAddress;
  /** All bases of the node (the first is `base`). */
  bases: TransportAddress[];
  nat: SimNat | undefined;
  events: IceEvent[];
  /** Simulated time of each event, same order as events. */
  eventTimes: number[];
  received: Uint8Array[];
  /** Drop everything this node sends (to simulate the peer vanishing). */
  mute: boolean;
  /** Loss on this node's access link, each way (a datagram between two lossy nodes crosses two). */
  accessLoss: number;
  /** Called with each event as it is drained (tests that answer events, e.g. open sockets). */
  onEvent?: (e: IceEvent) => void;
  /** Datagrams this node sent. */
  sent: number;
}

interface InFlight {
  at: number;
  seq: number;
  data: Uint8Array;
  from: TransportAddress;
  to: TransportAddress;
  sender: SimNode;
}

export interface SimOptions {
  seed: number;
  /** One-way delay bounds, ms. Jitter beyond the gap between packets reorders them. */
  delay?: [number, number];
  loss?: number;
  duplicate?: number;
  /** Only STUN packets suffer loss (checks), data too if false. */
}

export class SimNetwork {
  now = 0;
  readonly nodes: SimNode[] = [];
  private inflight: InFlight[] = [];
  private seq = 0;
  private readonly rnd: ReturnType<typeof seededRandom>;
  loss: number;
  readonly delay: [number, number];
  readonly duplicate: number;
  delivered = 0;
  /** Drops a packet when it returns true (scripted outages). */
  blackhole: ((from: TransportAddress, to: TransportAddress, now: number) => boolean) | undefined;

  constructor(opts: SimOptions) {
    this.rnd = seededRandom(opts.seed);
    this.delay = opts.delay ?? [1, 1];
    this.loss = opts.loss ?? 0;
    this.duplicate = opts.duplicate ?? 0;
  }

  add(name: string, agent: IceAgent, base: TransportAddress, nat?: SimNat): SimNode {
    const n: SimNode = {
      name,
      agent,
      base,
      bases: [base],
      nat,
      events: [],
      eventTimes: [],
      received: [],
      mute: false,
      accessLoss: 0,
      sent: 0,
    };
    this.nodes.push(n);
    return n;
  }

  private route(
    dest: TransportAddress,
    sender: SimNode,
  ): { node: SimNode; to: TransportAddress; from?: TransportAddress } | undefined {
    // Same private realm (or both public): direct.
    for (const n of this.nodes)
      if (n !== sender && n.bases.some((b) => key(b) === key(dest)) && n.nat === sender.nat)
        return { node: n, to: dest };
    // A NAT's public address.
    for (const n of this.nodes) {
      if (!n.nat || n.nat.publicIp !== dest.address) continue;
      return { node: n, to: dest };
    }
    // A public host.
    for (const n of this.nodes)
      if (!n.nat && n.bases.some((b) => key(b) === key(dest))) return { node: n, to: dest };
    return undefined;
  }

  private pump(): void {
    for (const n of this.nodes) {
      for (let t = n.agent.pollTransmit(); t; t = n.agent.pollTransmit()) {
        if (n.mute) continue;
        n.sent++;
        if (this.blackhole?.(t.source, t.destination, this.now)) continue;
        if (this.rnd.float() < this.loss) continue;
        if (n.accessLoss > 0 && this.rnd.float() < n.accessLoss) continue;
        const copies = this.rnd.float() < this.duplicate ? 2 : 1;
        for (let i = 0; i < copies; i++) {
          const [lo, hi] = this.delay;
          this.inflight.push({
            at: this.now + lo + (hi - lo) * this.rnd.float(),
            seq: this.seq++,
            data: t.data,
            from: t.source,
            to: t.destination,
            sender: n,
          });
        }
      }
      for (let e = n.agent.pollEvent(); e; e = n.agent.pollEvent()) {
        n.events.push(e);
        n.eventTimes.push(this.now);
        if (e.type === 'data') n.received.push(e.data);
        n.onEvent?.(e);
      }
    }
  }

  private deliver(p: InFlight): void {
    const r = this.route(p.to, p.sender);
    if (!r) return;
    if (r.node.accessLoss > 0 && this.rnd.float() < r.node.accessLoss) return;
    let from = p.from;
    // Leaving the sender's NAT towards another realm.
    if (p.sender.nat && r.node.nat !== p.sender.nat) from = p.sender.nat.outbound(p.from, p.to);
    let to = r.to;
    if (r.node.nat && r.node.nat !== p.sender.nat) {
      const internal = r.node.nat.inboundTo(p.to.port, from);
      if (!internal || !r.node.bases.some((b) => key(b) === key(internal))) return;
      to = internal;
    }
    this.delivered++;
    r.node.agent.handleInput(p.data, from, to, this.now);
  }

  /** Runs until `done()` or until `until` (absolute simulated ms). Returns the time reached. */
  run(until: number, done: () => boolean = () => false): number {
    this.pump();
    let steps = 0;
    while (!done()) {
      if (++steps > 2_000_000) throw new Error(`simulation stuck at t=${this.now}`);
      let next = Number.POSITIVE_INFINITY;
      for (const p of this.inflight) next = Math.min(next, p.at);
      for (const n of this.nodes) {
        const t = n.agent.pollTimeout();
        if (t !== undefined) next = Math.min(next, t);
      }
      if (next > until) {
        this.now = until;
        break;
      }
      this.now = Math.max(this.now, next);
      const due = this.inflight.filter((p) => p.at <= this.now).sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.inflight = this.inflight.filter((p) => p.at > this.now);
      for (const p of due) this.deliver(p);
      for (const n of this.nodes) {
        const t = n.agent.pollTimeout();
        if (t !== undefined && t <= this.now) n.agent.handleTimeout(this.now);
      }
      this.pump();
    }
    return this.now;
  }
}

export const v4 = (address: string, port: number): TransportAddress => ({ family: 'IPv4', address, port });
