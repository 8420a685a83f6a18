// The hard-NAT extension inside the agent (issue 17): waits until ordinary checks have had their
// chance, plans from both profiles, runs one HardNatProber and turns its probes into Binding requests.
// It sees the agent only through HardNatHost, and what it finds arrives as ordinary checks, so the
// paths become peer-reflexive pairs (RFC 8445 §7.3.1.3) and nomination and consent do not change.
import { sameAddress, type TransportAddress } from '../address.js';
import type { Candidate } from '../candidate.js';
import type { RandomSource } from '../random.js';
import { type HardNatPlan, planHardNat } from './plan.js';
import { boundedLimits, type HardNatLimits, HardNatProber } from './prober.js';
import { type HardNatProfile, profileFromMappedPorts } from './profile.js';

/**
 * The agent's `hardNat` option: turns the hard-NAT extension on (`{}` for the defaults). The limits
 * can lower the per-attempt bounds but not raise them past their ceilings.
 */
export interface HardNatOptions extends Partial<HardNatLimits> {
  /** Our NAT's profile; default: from our server-reflexive candidates of one base (two servers or more). */
  profile?: HardNatProfile;
  /**
   * Start only when no pair is valid this long after checks began (default 2,000 ms). Between two
   * NATs that ordinary checks get through, the first valid pair appears after the first round of
   * checks (at most 20 signalled candidates paced at Ta = 50 ms: 1 s) plus a round trip; so a pair
   * that connected before never waits for, nor meets, a probe.
   */
  startAfter?: number;
}

/** What -v shows: what was decided and tried. */
export type HardNatEvent =
  | {
      /** always 'hard-nat' */
      type: 'hard-nat';
      /** no attempt is made */
      phase: 'skipped';
      /** why not (e.g. the plan for this pair of profiles is 'none', or our NAT could not be classified) */
      why: string;
    }
  | {
      /** always 'hard-nat' */
      type: 'hard-nat';
      /** the attempt begins: probes are paced from now on */
      phase: 'started';
      /** the plan's strategy: open-predicted, open-random, keep-sending or fresh-mappings */
      strategy: string;
      /** why this strategy, from the two profiles */
      why: string;
      /** the peer's signalled address the probes go to (ports vary for the open-* strategies) */
      target: TransportAddress;
      /** Binding requests this side means to send in the attempt (within the budget and duration) */
      planned: number;
      /** probes per second (for keep-sending: one per keepInterval) */
      rate: number;
    }
  /** fresh-mappings: open this many UDP sockets on `address` (port 0) and hand each to agent.addProbeBase */
  | {
      /** always 'hard-nat' */
      type: 'hard-nat';
      /** the fresh-mappings strategy waits for the adapter to open sockets */
      phase: 'sockets-wanted';
      /** how many UDP sockets to open (the freshSockets limit) */
      count: number;
      /** the local IP address to bind them to: that of the base of our server-reflexive candidate */
      address: string;
    }
  | {
      /** always 'hard-nat' */
      type: 'hard-nat';
      /** the attempt is over: a pair became valid, or every planned probe was sent */
      phase: 'finished';
      /** datagrams the extension sent */
      sent: number;
      /** whether some pair is valid now */
      connected: boolean;
    };

/** The narrow view of the agent the extension needs. */
export interface HardNatHost {
  localCandidates(): readonly Candidate[];
  remoteCandidates(): readonly Candidate[];
  /** Some pair is valid (a path exists). */
  connected(): boolean;
  /** A Binding request with a fresh transaction id, signed for the peer; undefined without its credentials. */
  request(): Uint8Array | undefined;
  send(data: Uint8Array, destination: TransportAddress, source: TransportAddress): void;
  event(e: HardNatEvent): void;
}

/** Wait for answers after the last probe before ordinary failure rules apply again. */
const LINGER_MS = 1_500;
const DEFAULT_START_AFTER = 2_000;
/** fresh-mappings: how long to wait for the adapter's sockets before going on with those there are. */
const SOCKET_WAIT_MS = 1_000;

export class HardNatDriver {
  private remote: HardNatProfile | undefined;
  private prober: HardNatProber | undefined;
  private state: 'idle' | 'waiting-sockets' | 'running' | 'done' = 'idle';
  private plan: HardNatPlan | undefined;
  private base: TransportAddress | undefined;
  private target: TransportAddress | undefined;
  private readonly fresh: TransportAddress[] = [];
  private readonly freshIds = new Set<string>();
  private doneAt = 0;
  private readonly limits: HardNatLimits;
  private readonly startAfter: number;
  /** Datagrams sent by the extension, for diagnostics. */
  sent = 0;

  constructor(
    private readonly options: HardNatOptions,
    private readonly random: RandomSource,
    private readonly host: HardNatHost,
  ) {
    this.limits = boundedLimits(options);
    this.startAfter = options.startAfter ?? DEFAULT_START_AFTER;
  }

  /** The peer announced the extension with this profile (undefined: it did not; nothing will run). */
  setRemoteProfile(p: HardNatProfile | undefined): void {
    this.remote = p;
  }

  /** Our profile as signalled: the option, or what our server-reflexive candidates show. */
  localProfile(): HardNatProfile | undefined {
    if (this.setProfile) return this.setProfile;
    if (this.options.profile) return this.options.profile;
    const base = this.srflxBase();
    if (!base) return undefined;
    const ports = this.mappings.filter((m) => sameAddress(m.base, base)).map((m) => m.mapped.port);
    return profileFromMappedPorts(ports);
  }

  /** Our profile, learnt after construction (it takes precedence over options.profile). */
  setLocalProfile(profile: HardNatProfile): void {
    this.setProfile = profile;
  }
  private setProfile: HardNatProfile | undefined;

  /**
   * A server-reflexive address our base got from a server, in the order asked, duplicates included
   * (the agent keeps one candidate per address, but two servers that saw one port is the point).
   */
  observeMapping(base: TransportAddress, mapped: TransportAddress): void {
    if (mapped.family === 'IPv4' && this.mappings.length < 16) this.mappings.push({ base, mapped });
  }
  private readonly mappings: { base: TransportAddress; mapped: TransportAddress }[] = [];

  isProbeBase(c: Candidate): boolean {
    return this.freshIds.has(c.id);
  }

  /** A fresh socket the adapter opened after 'sockets-wanted'; `candidate` is its host candidate. */
  addFreshBase(candidate: Candidate): void {
    this.fresh.push(candidate.base);
    this.freshIds.add(candidate.id);
  }

  /** True while an attempt runs or its answers may still come: the agent must not give up yet. */
  holdsFailure(now: number): boolean {
    if (this.state === 'waiting-sockets' || this.state === 'running') return true;
    return this.state === 'done' && now < this.doneAt + LINGER_MS;
  }

  nextTimeout(checkingSince: number | undefined): number | undefined {
    if (this.state === 'idle')
      return checkingSince !== undefined && this.remote ? checkingSince + this.startAfter : undefined;
    if (this.state === 'waiting-sockets') return this.doneAt + SOCKET_WAIT_MS;
    if (this.state === 'running') return this.prober?.pollTimeout() ?? this.doneAt;
    return undefined;
  }

  tick(now: number, checkingSince: number | undefined): void {
    if (this.state === 'idle') {
      if (!this.remote || checkingSince === undefined || now < checkingSince + this.startAfter) return;
      this.begin(now);
    }
    if (this.state === 'waiting-sockets') {
      if (this.fresh.length >= this.limits.freshSockets) this.run(now);
      else if (now >= this.doneAt + SOCKET_WAIT_MS) {
        if (this.fresh.length > 0) this.run(now);
        else {
          this.state = 'done';
          this.doneAt = now;
          this.host.event({ type: 'hard-nat', phase: 'skipped', why: 'no fresh sockets were opened' });
        }
      }
    }
    if (this.state !== 'running' || !this.prober) return;
    if (this.host.connected()) {
      this.finish(now);
      return;
    }
    this.prober.handleTimeout(now);
    for (let p = this.prober.pollProbe(); p; p = this.prober.pollProbe()) {
      const data = this.host.request();
      const target = this.target;
      const source = p.from === 'base' ? this.base : this.fresh[p.from];
      if (!data || !target || !source) continue;
      this.sent++;
      this.host.send(data, { ...target, port: p.port }, source);
    }
    if (this.prober.finished) this.finish(now);
  }

  private begin(now: number): void {
    this.state = 'done';
    this.doneAt = now;
    if (this.host.connected()) return; // ordinary checks found a path: nothing to do, nothing said
    const local = this.localProfile();
    const remote = this.remote;
    if (!local || !remote) {
      this.host.event({ type: 'hard-nat', phase: 'skipped', why: 'our NAT could not be classified' });
      return;
    }
    const plan = planHardNat(local, remote);
    this.plan = plan;
    // Probes go only to the peer's own signalled server-reflexive address (its IP, and for the
    // open-* strategies other ports of it), never elsewhere.
    const peer = this.host.remoteCandidates().find((c) => c.type === 'srflx' && c.address.family === 'IPv4');
    this.base = this.srflxBase();
    if (plan.strategy === 'none' || !peer || !this.base) {
      const why = plan.strategy === 'none' ? plan.why : 'no server-reflexive candidate on one side';
      this.host.event({ type: 'hard-nat', phase: 'skipped', why });
      return;
    }
    this.target = peer.address;
    if (plan.strategy === 'fresh-mappings') {
      this.state = 'waiting-sockets';
      this.host.event({
        type: 'hard-nat',
        phase: 'sockets-wanted',
        count: this.limits.freshSockets,
        address: this.base.address,
      });
      return;
    }
    this.run(now);
  }

  private run(now: number): void {
    const plan = this.plan;
    const remote = this.remote;
    const target = this.target;
    if (!plan || plan.strategy === 'none' || !remote || !target) return;
    this.state = 'running';
    this.prober = new HardNatProber(
      plan.strategy,
      remote,
      target.port,
      this.limits,
      this.random,
      now,
      this.fresh.length,
    );
    this.host.event({
      type: 'hard-nat',
      phase: 'started',
      strategy: plan.strategy,
      why: plan.why,
      target,
      planned: this.prober.planned,
      rate: plan.strategy === 'keep-sending' ? 1000 / this.limits.keepInterval : this.limits.rate,
    });
  }

  private finish(now: number): void {
    this.state = 'done';
    this.doneAt = now;
    this.host.event({
      type: 'hard-nat',
      phase: 'finished',
      sent: this.sent,
      connected: this.host.connected(),
    });
  }

  /** The base of our first IPv4 server-reflexive candidate: the socket the peer knows a mapping of. */
  private srflxBase(): TransportAddress | undefined {
    return this.host
      .localCandidates()
      .find((c) => c.type === 'srflx' && c.address.family === 'IPv4' && !this.freshIds.has(c.id))?.base;
  }
}
