// The ICE agent (RFC 8445), sans-IO: moved only by handleInput / handleTimeout / commands, drained by
// pollTransmit / pollEvent / pollTimeout. No socket, timer or clock lives here.
import {
  bytesToHex,
  decodeStunMessage,
  demultiplex,
  StunDecodeError,
  type StunMessage,
  StunMethod,
} from '@p2pcat/stun/core';
import {
  addressKey,
  isLoopbackAddress,
  isPrivateAddress,
  type RemoteCandidateRefusal,
  remoteAddressProblem,
  sameAddress,
  type TransportAddress,
} from './address.js';
import {
  type Candidate,
  type CandidateType,
  candidatePriority,
  foundationKey,
  localPreferenceOf,
} from './candidate.js';
import { authentic, buildCheckRequest, buildCheckSuccess, buildRoleConflict } from './check-messages.js';
import { type CheckTransaction, CheckTransactions } from './check-transactions.js';
import { CheckList } from './checklist.js';
import { consentDelay, consentTimerAction, consentVerdict, consentVerdictChangesAt } from './consent.js';
import { generateCredentials, type IceCredentials, validateCredentials } from './credentials.js';
import type { IceConnectionState, IceEvent, IceFailureReason, PairInfo, Transmit } from './events.js';
import { HardNatDriver, type HardNatOptions } from './hard-nat/driver.js';
import type { HardNatProfile } from './hard-nat/profile.js';
import {
  checkNominates,
  onUseCandidate,
  outrankedByNominated,
  pairToSelect,
  regularNomination,
  repeatsNomination,
  successNominates,
} from './nomination.js';
import { byPriority, CandidatePair, type Generation } from './pair.js';
import { type RandomSource, randomFloat, randomTieBreaker, secureRandom } from './random.js';
import { SourceRateLimiter } from './rate-limit.js';
import {
  type AgentMode,
  agentMode,
  type IceRole,
  initialRole,
  nominates,
  resolveRoleConflict,
  roleAfterConflictResponse,
  roleForPeer,
  roleOnCommand,
} from './role.js';
import { checkRto, DEFAULT_TIMING, type IceTimingConfig } from './timing.js';

export type { IceRole } from './role.js';

/** Options of `IceAgent`. */
export interface IceAgentOptions {
  /** Initial role; conflicts are resolved on the wire by tie-breaker (RFC 8445 §7.3.1.1). Default controlling. */
  role?: IceRole;
  /** Act as an ICE-lite agent (RFC 8445 §2.5): answer checks only, never send any. */
  lite?: boolean;
  /**
   * 'regular' (default, RFC 8445 §8.1.1) or 'aggressive' (RFC 5245 §8.1.1.2: USE-CANDIDATE on every check;
   * for old peers that expect it). Aggressive nominations from a peer are always accepted.
   */
  nomination?: 'regular' | 'aggressive';
  /** Component count of each data stream; default one stream with one component. */
  streams?: number[];
  /** Local credentials; generated from `random` when omitted. */
  credentials?: IceCredentials;
  /** Randomness for credentials, tie-breakers and transaction ids; default `secureRandom`. */
  random?: RandomSource;
  /** RFC 8445 §6.1.2.5: limit on candidate pairs per check list, default 100, MUST be configurable. */
  pairLimit?: number;
  /**
   * Signalled remote candidates accepted per generation (all streams), default 20; more are refused
   * with a 'candidate-refused' event (reason 'limit'). Peer-reflexive candidates learnt from
   * authenticated checks do not count. Bounds the checks a description can make us send.
   */
  maxRemoteCandidates?: number;
  /**
   * Remote loopback candidates (127.0.0.0/8, ::1): true accepts them, false refuses them; default
   * (undefined) accepts them only when a local candidate's base is loopback when they are added.
   */
  allowLoopback?: boolean;
  /** Pacing, retransmission, consent and timeout settings; unset ones keep their defaults. */
  timing?: Partial<IceTimingConfig>;
  /**
   * The hard-NAT extension (issue 17; README "Through symmetric NATs"): when set, and the peer
   * announced it too (setRemoteHardNat), probing starts if no pair is valid `startAfter` ms after
   * checks began and the two NATs' profiles say it can help. Off by default: ordinary peers never see it.
   */
  hardNat?: HardNatOptions;
}

/** A local candidate to add: its type, address and base (RFC 8445 §5.1.1). */
export interface LocalCandidateInit {
  /** Host, server-reflexive or relayed (peer-reflexive ones are learnt by the agent). */
  type: 'host' | 'srflx' | 'relay';
  /** The candidate's transport address. */
  address: TransportAddress;
  /** Defaults to address for host and relay candidates. Required for srflx. */
  base?: TransportAddress;
  /** The data stream, default 0. */
  streamId?: number;
  /** The component ID, default 1. */
  component?: number;
  /** 0..65535, RFC 8445 §5.1.2.1; default 65535. Use lower values for less preferred interfaces. */
  localPreference?: number;
  /** STUN/TURN server the candidate came from (part of the foundation). */
  server?: TransportAddress;
  /**
   * raddr/rport of the candidate-attribute: the base of a server-reflexive candidate, the mapped
   * address of a relayed one.
   */
  relatedAddress?: TransportAddress;
}

/** A remote candidate as signalled by the peer. */
export interface RemoteCandidateInit {
  /** The candidate type. */
  type: CandidateType;
  /** The candidate's transport address. */
  address: TransportAddress;
  /** The priority the peer gave it. */
  priority: number;
  /** The peer's foundation. */
  foundation: string;
  /** The data stream, default 0. */
  streamId?: number;
  /** The component ID, default 1. */
  component?: number;
  /** raddr/rport, if the peer gave them (informational only). */
  relatedAddress?: TransportAddress;
}

interface Stream {
  id: number;
  components: number;
  checkList: CheckList;
  remoteEndOfCandidates: boolean;
  /** Nominated pair per component (the selected pair). */
  selected: Map<number, CandidatePair>;
  nextConsentAt: Map<number, number>;
}

/**
 * Sans-IO ICE agent (RFC 8445, consent freshness RFC 7675): check lists, connectivity checks,
 * nomination, restart. Feed it datagrams and timeouts; drain datagrams and events.
 */
export class IceAgent {
  private readonly random: RandomSource;
  private readonly timing: IceTimingConfig;
  /** Full or ICE-lite: what the agent does on its own (role.ts). */
  private readonly mode: AgentMode;
  private readonly aggressive: boolean;
  private role: IceRole;
  private readonly tieBreaker: bigint;
  private generation: Generation;
  /** Still answered after a restart until the new generation has selected pairs everywhere. */
  private previousGeneration: Generation | undefined;
  private remoteLite = false;
  private readonly streams = new Map<number, Stream>();
  private localCandidates: Candidate[] = [];
  private remoteCandidates: Candidate[] = [];
  private readonly foundations = new Map<string, string>();
  private readonly transactions: CheckTransactions;
  private triggered: CandidatePair[] = [];
  private readonly transmits: Transmit[] = [];
  private readonly events: IceEvent[] = [];
  private state: IceConnectionState = 'new';
  private lastPacedAt = -1e12;
  private checkingSince: number | undefined;
  private firstValidAt: number | undefined;
  private nominationWakeAt: number | undefined;
  private nextId = 0;
  private readonly limiter = new SourceRateLimiter();
  private readonly pairLimit: number;
  private readonly maxRemoteCandidates: number;
  private readonly allowLoopback: boolean | undefined;
  /** The application said local gathering is complete (RFC 8838 §8.2 end-of-candidates, our side). */
  private localEndOfCandidates = false;
  /** Something happened outside handleInput/handleTimeout that the state machine must look at. */
  private wake = false;
  private lastNow = 0;
  /** Requests sent (first transmissions and retransmissions, checks and consent), for diagnostics. */
  readonly sent = {
    /** Requests (connectivity and consent checks) sent for the first time. */
    checks: 0,
    /** Retransmitted requests. */
    retransmits: 0,
    /** Retransmissions put off by the retransmission rate limit. */
    deferredRetransmits: 0,
  };
  /** Counters of dropped input, for diagnostics. */
  readonly dropped = {
    /** STUN messages that did not decode. */
    malformed: 0,
    /** Requests whose USERNAME is not ours. */
    unknownUsername: 0,
    /** Messages whose MESSAGE-INTEGRITY did not verify. */
    badIntegrity: 0,
    /** Requests dropped by the per-source rate limit. */
    rateLimited: 0,
    /** Requests to an address that is no local candidate, or data from an address no valid pair has. */
    unknownSource: 0,
  };
  private readonly hardNat: HardNatDriver | undefined;

  constructor(options: IceAgentOptions = {}) {
    this.random = options.random ?? secureRandom;
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.mode = agentMode(options.lite ?? false);
    this.aggressive = options.nomination === 'aggressive';
    this.role = initialRole(this.mode, options.role);
    this.tieBreaker = randomTieBreaker(this.random);
    const creds = options.credentials ?? generateCredentials(this.random);
    const bad = validateCredentials(creds);
    if (bad) throw new Error(bad);
    this.generation = {
      index: 0,
      localUfrag: creds.ufrag,
      localPwd: creds.pwd,
      remoteUfrag: undefined,
      remotePwd: undefined,
    };
    this.pairLimit = options.pairLimit ?? 100;
    this.maxRemoteCandidates = options.maxRemoteCandidates ?? 20;
    this.allowLoopback = options.allowLoopback;
    this.transactions = new CheckTransactions(this.timing);
    const streams = options.streams ?? [1];
    streams.forEach((components, id) => {
      this.streams.set(id, {
        id,
        components,
        checkList: new CheckList(id, components, this.pairLimit),
        remoteEndOfCandidates: false,
        selected: new Map(),
        nextConsentAt: new Map(),
      });
    });
    if (options.hardNat) this.hardNat = this.hardNatDriver(options.hardNat);
  }

  // ---------------------------------------------------------------- hard-NAT extension (hard-nat/)

  /** Our NAT profile to announce to the peer (undefined: extension off, or our NAT not classified yet). */
  get localHardNatProfile(): HardNatProfile | undefined {
    return this.hardNat?.localProfile();
  }

  /**
   * Our NAT's profile, when it is known only after construction (gathering through servers ends
   * later); ignored unless the agent was made with the `hardNat` option.
   */
  setLocalHardNatProfile(profile: HardNatProfile): void {
    this.hardNat?.setLocalProfile(profile);
    this.wake = true;
  }

  /** What the peer announced; undefined (the default) when it does not support the extension. */
  setRemoteHardNat(profile: HardNatProfile | undefined): void {
    this.hardNat?.setRemoteProfile(profile);
    this.wake = true;
  }

  /** A fresh local socket opened after a 'hard-nat' 'sockets-wanted' event; never paired by itself. */
  addProbeBase(address: TransportAddress): void {
    if (!this.hardNat) return;
    const c: Candidate = {
      id: `L${this.nextId++}`,
      streamId: 0,
      component: 1,
      type: 'host',
      address,
      base: address,
      priority: candidatePriority('host', 0, 1),
      foundation: this.foundation(foundationKey('host', address)),
    };
    this.hardNat.addFreshBase(c);
    this.localCandidates.push(c);
    this.wake = true;
  }

  private hardNatDriver(options: HardNatOptions): HardNatDriver {
    return new HardNatDriver(options, this.random, {
      localCandidates: () => this.localCandidates,
      remoteCandidates: () => this.remoteCandidates,
      connected: () => [...this.streams.values()].some((s) => s.checkList.pairs.some((p) => p.valid)),
      request: () => {
        const g = this.generation;
        if (g.remotePwd === undefined || g.remoteUfrag === undefined) return undefined;
        return buildCheckRequest({
          transactionId: this.random.bytes(12),
          username: `${g.remoteUfrag}:${g.localUfrag}`,
          priority: candidatePriority('prflx', 65535, 1),
          controlling: this.role === 'controlling',
          tieBreaker: this.tieBreaker,
          useCandidate: false,
          remotePwd: g.remotePwd,
        });
      },
      send: (data, destination, source) => this.transmits.push({ data, destination, source }),
      event: (e) => this.events.push(e),
    });
  }

  // ---------------------------------------------------------------- accessors

  /** Our ufrag and password of the current generation. */
  get localCredentials(): IceCredentials {
    return { ufrag: this.generation.localUfrag, pwd: this.generation.localPwd };
  }
  /** The peer's credentials of the current generation, once set. */
  get remoteCredentials(): IceCredentials | undefined {
    const g = this.generation;
    return g.remoteUfrag !== undefined && g.remotePwd !== undefined
      ? { ufrag: g.remoteUfrag, pwd: g.remotePwd }
      : undefined;
  }
  /** Whether this is an ICE-lite agent. */
  get isLite(): boolean {
    return this.mode.lite;
  }
  /** The role now (it may change on a role conflict). */
  get currentRole(): IceRole {
    return this.role;
  }
  /** The connection state. */
  get connectionState(): IceConnectionState {
    return this.state;
  }
  /** Every local candidate, peer-reflexive ones included. */
  getLocalCandidates(): Candidate[] {
    // hard-NAT probe sockets are not candidates to signal
    return this.localCandidates.filter((c) => !this.hardNat?.isProbeBase(c));
  }
  /** Every remote candidate, peer-reflexive ones included. */
  getRemoteCandidates(): Candidate[] {
    return [...this.remoteCandidates];
  }
  /** All pairs of all check lists (and valid pairs outside them), for stats and diagnostics. */
  getPairs(): PairInfo[] {
    const out: PairInfo[] = [];
    const seen = new Set<CandidatePair>();
    for (const s of this.streams.values())
      for (const p of s.checkList.pairs) {
        out.push(this.pairInfo(p));
        seen.add(p);
        if (p.validPair && !seen.has(p.validPair)) {
          seen.add(p.validPair);
          out.push(this.pairInfo(p.validPair));
        }
      }
    return out;
  }
  /** The selected (nominated) pair of a component, if any. */
  getSelectedPair(component = 1, streamId = 0): PairInfo | undefined {
    const p = this.streams.get(streamId)?.selected.get(component);
    return p ? this.pairInfo(p) : undefined;
  }

  /** The pair `send` uses now: the selected one, or before nomination the best valid pair. */
  getActivePair(component = 1, streamId = 0): PairInfo | undefined {
    const p = this.activePair(streamId, component);
    return p ? this.pairInfo(p) : undefined;
  }

  // ---------------------------------------------------------------- commands

  /** Changes the role; ignored by an ICE-lite agent. */
  setRole(role: IceRole): void {
    const next = roleOnCommand(this.mode, this.role, role);
    if (next) this.switchRole(next);
  }

  /** Remote ufrag/pwd (and whether the peer is ICE-lite). Checks start once these are known. */
  setRemoteCredentials(creds: IceCredentials, options: { lite?: boolean } = {}): void {
    const bad = validateCredentials(creds);
    if (bad) throw new Error(`remote ${bad}`);
    this.generation.remoteUfrag = creds.ufrag;
    this.generation.remotePwd = creds.pwd;
    this.remoteLite = options.lite ?? false;
    this.wake = true; // the connect timeout runs from here, pairs or not
    const next = roleForPeer(this.mode, this.role, this.remoteLite);
    if (next) this.switchRole(next);
    this.formPairs();
  }

  /**
   * Adds a local candidate and pairs it with the remote candidates; returns it with its priority
   * and foundation.
   */
  addLocalCandidate(init: LocalCandidateInit): Candidate {
    this.assertOpen();
    const streamId = init.streamId ?? 0;
    const component = init.component ?? 1;
    this.assertComponent(streamId, component);
    const base = init.base ?? init.address;
    if (init.type === 'srflx') this.hardNat?.observeMapping(base, init.address);
    const existing = this.localCandidates.find(
      (c) =>
        c.streamId === streamId &&
        c.component === component &&
        sameAddress(c.address, init.address) &&
        sameAddress(c.base, base),
    );
    if (existing) return existing;
    const cand: Candidate = {
      id: `L${this.nextId++}`,
      streamId,
      component,
      type: init.type,
      address: init.address,
      base,
      priority: candidatePriority(init.type, init.localPreference ?? 65535, component),
      foundation: this.foundation(foundationKey(init.type, base, init.server)),
      ...(init.relatedAddress ? { relatedAddress: init.relatedAddress } : {}),
    };
    this.localCandidates.push(cand);
    this.formPairs();
    return cand;
  }

  /**
   * Trickle ICE (RFC 8838): may be called at any time, before or after checks began. Returns undefined
   * for a refused candidate (an address that can never be a peer, loopback not allowed, or over
   * `maxRemoteCandidates`), after queueing a 'candidate-refused' event: a description from the peer
   * is untrusted input, so a refusal is a warning, never a throw.
   */
  addRemoteCandidate(init: RemoteCandidateInit): Candidate | undefined {
    this.assertOpen();
    const streamId = init.streamId ?? 0;
    const component = init.component ?? 1;
    this.assertComponent(streamId, component);
    const existing = this.remoteCandidates.find(
      (c) => c.streamId === streamId && c.component === component && sameAddress(c.address, init.address),
    );
    if (existing) {
      // A check from the peer arrived before its description did, so the candidate was learned as
      // peer-reflexive (RFC 8445 §7.3.1.3) as a stand-in; the signalled candidate now says what it
      // really is. Its type and foundation are taken over; its priority stays, since the pairs
      // already formed (and ordered) with it keep theirs.
      if (existing.type === 'prflx' && init.type !== 'prflx') {
        const named = existing as { -readonly [K in keyof Candidate]: Candidate[K] };
        named.type = init.type;
        named.foundation = init.foundation;
        if (init.relatedAddress) named.relatedAddress = init.relatedAddress;
      }
      return existing;
    }
    const refusal = this.refusal(init);
    if (refusal !== undefined) {
      this.events.push({
        type: 'candidate-refused',
        candidate: { type: init.type, address: init.address, streamId, component },
        reason: refusal,
      });
      this.wake = true;
      return undefined;
    }
    const cand: Candidate = {
      id: `R${this.nextId++}`,
      streamId,
      component,
      type: init.type,
      address: init.address,
      base: init.address,
      priority: init.priority,
      foundation: init.foundation,
      ...(init.relatedAddress ? { relatedAddress: init.relatedAddress } : {}),
    };
    this.remoteCandidates.push(cand);
    this.formPairs();
    return cand;
  }

  /** RFC 8838 §13: the peer will send no more candidates; all checks failing now means failure. */
  endOfRemoteCandidates(streamId?: number): void {
    for (const s of this.streams.values())
      if (streamId === undefined || s.id === streamId) s.remoteEndOfCandidates = true;
    this.wake = true;
  }

  /**
   * Local gathering is complete (RFC 8838 §8.2: what our end-of-candidates tells the peer). Together
   * with the peer's end-of-candidates and no candidate pair, the agent fails with 'no-pairs' at the
   * next handleTimeout (pollTimeout asks for one at once); without it, only `connectTimeout` ends
   * the wait, since a trickled candidate may still form a pair.
   */
  endOfLocalCandidates(): void {
    this.localEndOfCandidates = true;
    this.wake = true;
  }

  /**
   * Application data on the pair in use for the component: the selected pair, or before nomination the
   * best valid pair (RFC 8445 §12.1 allows data on a valid pair). Returns false when there is none
   * or consent was lost (RFC 7675 §5.1: sending MUST stop).
   */
  send(component: number, data: Uint8Array, streamId = 0): boolean {
    const pair = this.dataPair(component, streamId, 1, data.length);
    if (!pair) return false;
    this.transmits.push({ data, destination: pair.remote.address, source: pair.local.base });
    return true;
  }

  /**
   * For a caller that sends a batch of application data itself (one system call for many
   * datagrams): the local base and the destination `send` would use now, with `packets` datagrams
   * of `bytes` in all counted on the pair. Undefined when there is no pair to send on, or consent
   * was lost (RFC 7675 §5.1: sending MUST stop), exactly when `send` would return false.
   */
  dataRoute(
    component: number,
    packets: number,
    bytes: number,
    streamId = 0,
  ):
    | {
        /** The local base to send from (a host socket, or a relayed address: through TURN). */
        source: TransportAddress;
        /** The remote candidate's address. */
        destination: TransportAddress;
      }
    | undefined {
    const pair = this.dataPair(component, streamId, packets, bytes);
    return pair && { source: pair.local.base, destination: pair.remote.address };
  }

  /**
   * ICE restart (RFC 8445 §9): new local credentials, remote candidates and check lists discarded; the
   * current selected pairs keep carrying data (and consent) until the new generation nominates.
   * Hand the new credentials and candidates to the peer, then set its new credentials and candidates.
   */
  restart(credentials?: IceCredentials): IceCredentials {
    this.assertOpen();
    const creds = credentials ?? generateCredentials(this.random);
    const bad = validateCredentials(creds);
    if (bad) throw new Error(bad);
    this.previousGeneration = this.generation;
    this.generation = {
      index: this.generation.index + 1,
      localUfrag: creds.ufrag,
      localPwd: creds.pwd,
      remoteUfrag: undefined,
      remotePwd: undefined,
    };
    const keep = new Set<CandidatePair>();
    for (const s of this.streams.values()) {
      for (const p of s.selected.values()) keep.add(p);
      for (const c of this.componentsOf(s)) {
        const a = this.activePair(s.id, c);
        if (a) keep.add(a);
      }
      s.checkList = new CheckList(s.id, s.components, this.pairLimit);
      s.checkList.state = 'running';
      s.remoteEndOfCandidates = false;
      // The kept pairs stay reachable for data and consent through `selected`.
      for (const c of this.componentsOf(s)) {
        const a =
          s.selected.get(c) ?? [...keep].find((p) => p.local.streamId === s.id && p.local.component === c);
        if (a) s.selected.set(c, a);
      }
    }
    this.transactions.keepPairs(keep);
    this.triggered = [];
    this.remoteCandidates = [];
    this.localCandidates = this.localCandidates.filter((c) => c.type !== 'prflx');
    this.firstValidAt = undefined;
    this.nominationWakeAt = undefined;
    return creds;
  }

  /** Stops every check and consent; the agent is 'closed'. */
  close(): void {
    if (this.state === 'closed') return;
    this.transactions.clear();
    this.triggered = [];
    this.setState('closed');
  }

  // ---------------------------------------------------------------- sans-IO input/output

  /**
   * A datagram arrived on local base `to` (a host socket address, or a relayed address) from `from`.
   * STUN is handled here; anything else is application data, delivered as a 'data' event when it comes
   * from a pair we have validated.
   */
  handleInput(datagram: Uint8Array, from: TransportAddress, to: TransportAddress, now: number): void {
    if (this.state === 'closed') return;
    this.lastNow = now;
    const kind = demultiplex(datagram);
    if (kind === 'stun') {
      let msg: StunMessage;
      try {
        msg = decodeStunMessage(datagram);
      } catch (e) {
        if (e instanceof StunDecodeError) {
          this.dropped.malformed++;
          return;
        }
        throw e;
      }
      if (msg.method !== StunMethod.Binding) return;
      try {
        if (msg.class === 'request') this.onRequest(msg, from, to, now);
        else if (msg.class === 'success' || msg.class === 'error') this.onResponse(msg, from, to, now);
        // Binding indications are keepalives (RFC 8445 §11): nothing to do.
      } catch (e) {
        if (e instanceof StunDecodeError) {
          this.dropped.malformed++;
          return;
        }
        throw e;
      }
      this.nominateSelectAndUpdateState(now);
      return;
    }
    this.onApplicationData(datagram, from, to);
  }

  /**
   * Runs the timers due at `now` (ms): paced checks (Ta), retransmissions, consent checks,
   * timeouts.
   */
  handleTimeout(now: number): void {
    if (this.state === 'closed') return;
    this.lastNow = now;
    this.wake = false;
    if (this.checkingSince === undefined && (this.hasCheckWork() || this.generation.remotePwd !== undefined))
      this.checkingSince = now;
    this.runRetransmissions(now);
    if (this.mode.sendsChecks && this.hasCheckWork() && now >= this.lastPacedAt + this.timing.ta) {
      this.sendNextCheck(now);
      this.lastPacedAt = now;
    }
    this.runConsent(now);
    this.hardNat?.tick(now, this.checkingSince);
    this.nominateSelectAndUpdateState(now);
  }

  /** The next datagram to send, or undefined when none is queued. */
  pollTransmit(): Transmit | undefined {
    return this.transmits.shift();
  }

  /** The next event, or undefined when none is queued. */
  pollEvent(): IceEvent | undefined {
    return this.events.shift();
  }

  /** Absolute time (ms) of the next handleTimeout the agent wants, or undefined when idle. */
  pollTimeout(): number | undefined {
    if (this.state === 'closed') return undefined;
    let t = Number.POSITIVE_INFINITY;
    if (this.wake && this.state !== 'failed') t = this.lastNow;
    t = Math.min(t, this.transactions.nextTimeout());
    if (this.mode.sendsChecks && this.hasCheckWork()) t = Math.min(t, this.lastPacedAt + this.timing.ta);
    if (this.nominationWakeAt !== undefined) t = Math.min(t, this.nominationWakeAt);
    const hard = this.state === 'checking' ? this.hardNat?.nextTimeout(this.checkingSince) : undefined;
    if (hard !== undefined) t = Math.min(t, hard);
    for (const s of this.streams.values()) for (const at of s.nextConsentAt.values()) t = Math.min(t, at);
    if (this.checkingSince !== undefined && (this.state === 'checking' || this.state === 'new'))
      t = Math.min(t, this.checkingSince + this.timing.connectTimeout);
    for (const s of this.streams.values())
      for (const c of this.componentsOf(s)) {
        const p = this.activePair(s.id, c);
        if (p && this.mode.runsConsent)
          t = Math.min(
            t,
            consentVerdictChangesAt(p.lastConsentAt, this.state === 'disconnected', this.timing),
          );
      }
    return Number.isFinite(t) ? t : undefined;
  }

  // ---------------------------------------------------------------- pairing

  private formPairs(): void {
    const gen = this.generation;
    if (gen.remotePwd === undefined) return;
    for (const s of this.streams.values()) {
      const list = s.checkList;
      const fresh: CandidatePair[] = [];
      for (const l of this.localCandidates) {
        if (l.streamId !== s.id || !this.pairable(l)) continue;
        for (const r of this.remoteCandidates) {
          if (r.streamId !== s.id || r.component !== l.component || r.address.family !== l.address.family)
            continue;
          if (list.find(l, r)) continue;
          // A relay on the public internet cannot reach a peer's private address, and TURN servers commonly
          // refuse such permissions (a refusal can hold up the allocation's other permissions): skip the pair.
          if (l.type === 'relay' && isPrivateAddress(r.address) && !isPrivateAddress(l.address)) continue;
          const p = new CandidatePair(`P${this.nextId++}`, l, r, this.role === 'controlling', gen);
          list.pairs.push(p);
          fresh.push(p);
        }
      }
      if (fresh.length === 0) continue;
      list.sortAndLimit();
      if (list.state === 'failed') list.state = 'running';
      fresh.sort((a, b) => a.local.component - b.local.component || byPriority(a, b));
      for (const p of fresh) if (list.pairs.includes(p)) list.unfreezeNew(p);
    }
  }

  /**
   * RFC 8445 §6.1.2.4: a server-reflexive local candidate is replaced by its base, which makes its pairs
   * redundant with the host candidate's; peer-reflexive local candidates are learned, not paired.
   */
  private pairable(l: Candidate): boolean {
    if (this.hardNat?.isProbeBase(l)) return false;
    if (l.type === 'host' || l.type === 'relay') return true;
    if (l.type === 'srflx')
      return !this.localCandidates.some(
        (h) => h.type === 'host' && h.component === l.component && sameAddress(h.address, l.base),
      );
    return false;
  }

  // ---------------------------------------------------------------- checks

  private hasCheckWork(): boolean {
    if (this.generation.remotePwd === undefined) return false;
    if (this.triggered.length > 0) return true;
    for (const s of this.streams.values()) {
      if (s.checkList.state !== 'running') continue;
      for (const p of s.checkList.pairs)
        if ((p.state === 'waiting' || p.state === 'frozen') && !this.outranked(p)) return true;
    }
    return false;
  }

  /** One paced check: the triggered-check queue first (RFC 8445 §6.1.4.2), then each list's best Waiting pair. */
  private sendNextCheck(now: number): boolean {
    while (this.triggered.length > 0) {
      const p = this.triggered.shift() as CandidatePair;
      if (p.generation !== this.generation) continue;
      this.startCheck(p, now, repeatsNomination(this.role, p.nominating));
      return true;
    }
    const lists = [...this.streams.values()].map((s) => s.checkList).filter((l) => l.state === 'running');
    for (const list of lists) {
      const p = list.pairs.find((x) => x.state === 'waiting' && !this.outranked(x));
      if (p) {
        this.startCheck(p, now, false);
        return true;
      }
    }
    // Nothing Waiting: RFC 8445 §6.1.4.2 unfreezes a Frozen pair (highest priority first).
    for (const list of lists) {
      const p = list.pairs.find((x) => x.state === 'frozen' && !this.outranked(x));
      if (p) {
        this.startCheck(p, now, false);
        return true;
      }
    }
    return false;
  }

  /** After nomination a pair worse than the nominated one is not worth a check (nomination.ts). */
  private outranked(p: CandidatePair): boolean {
    const sel = this.streams.get(p.local.streamId)?.selected.get(p.local.component);
    return outrankedByNominated(p, sel, this.generation);
  }

  private startCheck(
    pair: CandidatePair,
    now: number,
    nominate: boolean,
    kind: 'check' | 'consent' = 'check',
  ): void {
    const gen = pair.generation;
    if (gen.remotePwd === undefined || gen.remoteUfrag === undefined) return;
    const transactionId = this.random.bytes(12);
    const localPref = localPreferenceOf(pair.local.priority);
    const prflxPriority = candidatePriority('prflx', localPref, pair.local.component);
    const nominating = checkNominates({ nominate, aggressive: this.aggressive, kind });
    const data = buildCheckRequest({
      transactionId,
      username: `${gen.remoteUfrag}:${gen.localUfrag}`,
      priority: prflxPriority,
      controlling: this.role === 'controlling',
      tieBreaker: this.tieBreaker,
      useCandidate: nominating,
      remotePwd: gen.remotePwd,
    });
    let rto = this.timing.rtoMin;
    if (kind === 'check') {
      let waiting = 0;
      let inProgress = 0;
      for (const s of this.streams.values()) {
        waiting += s.checkList.count('waiting');
        inProgress += s.checkList.count('in-progress');
      }
      rto = checkRto(this.timing, this.streams.size, waiting, inProgress);
      // A repeat check on a pair that already succeeded (nomination) leaves it Succeeded.
      if (pair.state !== 'succeeded') {
        if (pair.state !== 'in-progress') pair.firstCheckAt = now;
        pair.state = 'in-progress';
      }
    }
    const maxRequests = kind === 'consent' ? 4 : this.timing.maxCheckRequests;
    this.transactions.start(
      {
        id: bytesToHex(transactionId),
        data,
        pair,
        kind,
        nominate: nominating,
        role: this.role,
        rto,
        maxRequests,
        prflxPriority,
      },
      now,
    );
    if (this.state === 'new') this.setState('checking');
    if (this.checkingSince === undefined) this.checkingSince = now;
    this.sent.checks++;
    this.transmit(pair, data);
  }

  private transmit(pair: CandidatePair, data: Uint8Array): void {
    pair.stats.requestsSent++;
    this.transmits.push({ data, destination: pair.remote.address, source: pair.local.base });
  }

  private runRetransmissions(now: number): void {
    for (const { tx, outcome } of this.transactions.runDue(now)) {
      if (outcome === 'timeout') this.onCheckTimeout(tx);
      else if (outcome === 'deferred') this.sent.deferredRetransmits++;
      else if (outcome === 'retransmit') {
        this.sent.retransmits++;
        this.transmit(tx.pair, tx.data);
      }
    }
  }

  private onCheckTimeout(tx: CheckTransaction): void {
    if (tx.kind === 'consent') return; // consent is judged by time since the last answer
    const p = tx.pair;
    if (p.state === 'in-progress') p.state = 'failed';
    if (tx.nominate) p.nominating = false;
    if (p.validPair && tx.nominate) p.validPair.nominating = false;
  }

  // ---------------------------------------------------------------- responses (RFC 8445 §7.2.5)

  private onResponse(msg: StunMessage, from: TransportAddress, to: TransportAddress, now: number): void {
    const id = bytesToHex(msg.transactionId);
    const tx = this.transactions.get(id);
    if (!tx) return;
    const pair = tx.pair;
    const pwd = pair.generation.remotePwd;
    // RFC 8445 §7.2.5.1 / RFC 8489 §9.1.3: a response that fails integrity is discarded as if never received.
    if (pwd === undefined || !authentic(msg, pwd)) {
      this.dropped.badIntegrity++;
      return;
    }
    this.transactions.delete(id);
    pair.stats.responsesReceived++;
    // RFC 8445 §7.2.5.2.1: source and destination must be symmetric, else the check fails.
    if (!sameAddress(from, pair.remote.address) || !sameAddress(to, pair.local.base)) {
      if (tx.kind === 'check') pair.state = 'failed';
      return;
    }
    if (msg.class === 'error') {
      const err = msg.get('ERROR_CODE');
      if (err?.code === 487 && tx.kind === 'check') {
        // RFC 8445 §7.2.5.1: switch role if the request carried our current role, then retry via the triggered queue.
        const next = roleAfterConflictResponse(tx.role, this.role);
        if (next) this.switchRole(next);
        pair.state = 'waiting';
        if (!this.triggered.includes(pair)) this.triggered.push(pair);
      } else if (tx.kind === 'check') pair.state = 'failed';
      return;
    }
    const rtt = now - (tx.requestsSent === 1 ? tx.firstSentAt : tx.lastSentAt);
    pair.recordRtt(rtt);
    const mapped = msg.get('XOR_MAPPED_ADDRESS');
    if (!mapped) {
      if (tx.kind === 'check') pair.state = 'failed';
      return;
    }
    if (tx.kind === 'consent') {
      pair.lastConsentAt = now;
      if (pair.validPair) pair.validPair.lastConsentAt = now;
      if (this.state === 'disconnected') this.setState(this.allNominated() ? 'completed' : 'connected');
      return;
    }
    this.onCheckSuccess(tx, pair, mapped, now);
  }

  private onCheckSuccess(
    tx: CheckTransaction,
    pair: CandidatePair,
    mapped: TransportAddress,
    now: number,
  ): void {
    // RFC 8445 §7.2.5.3.1: a mapped address we do not know is a peer-reflexive local candidate.
    let local = this.localCandidates.find(
      (c) =>
        c.streamId === pair.local.streamId &&
        c.component === pair.local.component &&
        sameAddress(c.address, mapped),
    );
    if (!local) {
      local = {
        id: `L${this.nextId++}`,
        streamId: pair.local.streamId,
        component: pair.local.component,
        type: 'prflx',
        address: mapped,
        base: pair.local.base,
        priority: tx.prflxPriority,
        foundation: this.foundation(foundationKey('prflx', pair.local.base)),
      };
      this.localCandidates.push(local);
      this.events.push({ type: 'prflx-candidate', side: 'local', candidate: local });
    }
    // RFC 8445 §7.2.5.3.2: the valid pair is the checked pair, another list pair, or a new pair.
    let valid: CandidatePair;
    if (local.id === pair.local.id) valid = pair;
    else {
      const list = this.streams.get(pair.local.streamId)?.checkList;
      valid =
        pair.validPair ??
        list?.find(local, pair.remote) ??
        new CandidatePair(
          `P${this.nextId++}`,
          local,
          pair.remote,
          this.role === 'controlling',
          pair.generation,
        );
      valid.generatedBy = pair;
    }
    pair.state = 'succeeded';
    pair.validPair = valid;
    if (valid !== pair) {
      valid.state = 'succeeded';
      valid.stats.rtt = pair.stats.rtt;
      valid.stats.srtt = pair.stats.srtt;
    }
    if (!valid.valid) {
      valid.valid = true;
      valid.lastConsentAt = now;
      this.firstValidAt ??= now;
      this.events.push({
        type: 'valid-pair',
        streamId: valid.local.streamId,
        component: valid.local.component,
        pair: this.pairInfo(valid),
      });
    }
    pair.lastConsentAt = now;
    valid.lastConsentAt = now;
    // RFC 8445 §7.2.5.3.3: unfreeze pairs of the same foundation in the other check lists.
    for (const s of this.streams.values())
      for (const p of s.checkList.pairs)
        if (p.state === 'frozen' && p.foundation === pair.foundation) p.state = 'waiting';
    // RFC 8445 §7.2.5.3.4 / §8.1.1: a successful check with USE-CANDIDATE nominates (controlling side);
    // a USE-CANDIDATE received while the check was pending nominates on success (controlled side).
    const nominated = successNominates({
      sentUseCandidate: tx.nominate,
      sentAsControlling: tx.role === 'controlling',
      nominateOnSuccess: pair.nominateOnSuccess,
    });
    if (nominated) {
      pair.nominateOnSuccess = false;
      valid.nominated = true;
      pair.nominated = true;
    }
    valid.nominating = false;
    pair.nominating = false;
  }

  // ---------------------------------------------------------------- requests (RFC 8445 §7.3)

  private onRequest(msg: StunMessage, from: TransportAddress, to: TransportAddress, now: number): void {
    const username = msg.get('USERNAME');
    if (username === undefined) return;
    const colon = username.indexOf(':');
    const ours = colon < 0 ? username : username.slice(0, colon);
    // RFC 8445 §7.3: the username's first part must be our ufrag; unknown usernames are dropped silently.
    let gen: Generation | undefined;
    if (ours === this.generation.localUfrag) gen = this.generation;
    else if (this.previousGeneration && ours === this.previousGeneration.localUfrag)
      gen = this.previousGeneration;
    if (!gen) {
      this.dropped.unknownUsername++;
      return;
    }
    // A wrong MESSAGE-INTEGRITY gets no success response (we drop it: no answer means no amplification).
    if (!authentic(msg, gen.localPwd)) {
      this.dropped.badIntegrity++;
      return;
    }
    if (!this.limiter.allow(addressKey(from), now)) {
      this.dropped.rateLimited++;
      return;
    }
    const local =
      this.localCandidates.find(
        (c) => (c.type === 'host' || c.type === 'relay') && sameAddress(c.address, to),
      ) ?? this.localCandidates.find((c) => sameAddress(c.base, to));
    if (!local) {
      this.dropped.unknownSource++;
      return;
    }

    // RFC 8445 §7.3.1.1: role conflict (role.ts).
    const theirControlling = msg.get('ICE_CONTROLLING');
    const conflict = resolveRoleConflict({
      mode: this.mode,
      role: this.role,
      tieBreaker: this.tieBreaker,
      theirControlling,
      theirControlled: msg.get('ICE_CONTROLLED'),
    });
    if (conflict.action === 'reject') {
      this.respond(msg, buildRoleConflict(msg.transactionId, gen.localPwd), from, to);
      return;
    }
    if (conflict.switchTo) this.switchRole(conflict.switchTo);

    // RFC 8445 §7.3.1.3: a source we do not know becomes a peer-reflexive remote candidate.
    let remote = this.remoteCandidates.find(
      (c) => c.streamId === local.streamId && c.component === local.component && sameAddress(c.address, from),
    );
    if (!remote && gen === this.generation) {
      const priority = msg.get('PRIORITY') ?? candidatePriority('prflx', 65535, local.component);
      remote = {
        id: `R${this.nextId++}`,
        streamId: local.streamId,
        component: local.component,
        type: 'prflx',
        address: from,
        base: from,
        priority,
        foundation: `prflx${this.nextId++}`,
      };
      this.remoteCandidates.push(remote);
      this.events.push({ type: 'prflx-candidate', side: 'remote', candidate: remote });
    }

    // RFC 8445 §7.3.1.2: success response, XOR-MAPPED-ADDRESS = source.
    const sent = this.respond(msg, buildCheckSuccess(msg.transactionId, from, gen.localPwd), from, to);

    const stream = this.streams.get(local.streamId);
    if (!stream || !remote) return;
    const useCandidate = msg.has('USE_CANDIDATE') && theirControlling !== undefined;
    if (gen !== this.generation) {
      // Old generation (after our restart): only consent for the kept pair.
      return;
    }
    let pair = stream.checkList.find(local, remote) ?? this.findValidPair(stream, local, remote);
    if (!pair) {
      pair = new CandidatePair(`P${this.nextId++}`, local, remote, this.role === 'controlling', gen);
      stream.checkList.pairs.push(pair);
      stream.checkList.sortAndLimit();
      if (stream.checkList.state === 'failed') stream.checkList.state = 'running';
    }
    pair.stats.requestsReceived++;
    if (sent) pair.stats.responsesSent++;

    if (this.mode.validatesOnRequest) {
      // A lite agent has no checks of its own: a pair is valid once the peer checked it (RFC 8445 §2.5).
      pair.state = 'succeeded';
      pair.valid = true;
      pair.lastConsentAt = now;
      pair.validPair = pair;
      this.firstValidAt ??= now;
      if (useCandidate) pair.nominated = true;
      return;
    }

    // RFC 8445 §7.3.1.4: triggered checks.
    // A validated pair is not checked again, except that a nomination still unanswered is repeated now
    // (as RFC 8445 §7.3.1.4 does for an In-Progress pair): the peer's request shows the path works.
    const renominate = !!pair.validPair && repeatsNomination(this.role, pair.nominating);
    switch (pair.validPair && !renominate ? 'succeeded' : renominate ? 'in-progress' : pair.state) {
      case 'succeeded':
        // Already validated (its nominating or consent check may be in flight): nothing to trigger.
        break;
      case 'in-progress': {
        // Cancel the pending transaction's retransmissions (a late answer still counts) and re-check now.
        this.transactions.cancelChecksOn(pair);
        if (!this.triggered.includes(pair)) this.triggered.push(pair);
        if (!renominate) pair.state = 'waiting';
        break;
      }
      default:
        pair.state = 'waiting';
        if (!this.triggered.includes(pair)) this.triggered.push(pair);
    }
    // RFC 8445 §7.3.1.5: USE-CANDIDATE from the controlling peer.
    const onNomination = useCandidate ? onUseCandidate(this.role, pair.state) : 'ignore';
    if (onNomination === 'nominate') {
      const v = pair.validPair ?? pair;
      v.nominated = true;
      pair.nominated = true;
    } else if (onNomination === 'nominate-on-success') pair.nominateOnSuccess = true;
  }

  private findValidPair(stream: Stream, local: Candidate, remote: Candidate): CandidatePair | undefined {
    for (const p of stream.checkList.pairs)
      if (p.validPair && p.validPair.local.id === local.id && p.validPair.remote.id === remote.id) return p;
    return undefined;
  }

  /** Sends a response unless it would be larger than the request (no amplification). */
  private respond(
    req: StunMessage,
    data: Uint8Array,
    to: TransportAddress,
    source: TransportAddress,
  ): boolean {
    if (data.length > req.raw.length) return false;
    this.transmits.push({ data, destination: to, source });
    return true;
  }

  private switchRole(role: IceRole): void {
    this.role = role;
    // RFC 8445 §7.3.1.1: pair priorities are recomputed with the new role.
    for (const s of this.streams.values()) {
      for (const p of s.checkList.pairs) {
        p.recomputePriority(role === 'controlling');
        p.validPair?.recomputePriority(role === 'controlling');
      }
      s.checkList.pairs.sort(byPriority);
    }
    this.events.push({ type: 'role', role });
  }

  // ---------------------------------------------------------------- application data

  private onApplicationData(data: Uint8Array, from: TransportAddress, to: TransportAddress): void {
    for (const s of this.streams.values()) {
      for (const c of this.componentsOf(s)) {
        const cands: CandidatePair[] = [];
        const sel = s.selected.get(c);
        if (sel) cands.push(sel);
        // RFC 8445 §12: data may arrive on any pair of the check list (the peer may have validated and
        // nominated it before our own check on it completed); sources outside the list are dropped.
        for (const p of s.checkList.pairs) {
          if (p.local.component !== c) continue;
          if (p.validPair) cands.push(p.validPair);
          cands.push(p);
        }
        const pair = cands.find((p) => sameAddress(p.remote.address, from) && sameAddress(p.local.base, to));
        if (pair) {
          pair.stats.bytesReceived += data.length;
          pair.stats.packetsReceived++;
          this.events.push({ type: 'data', streamId: s.id, component: c, data, from });
          return;
        }
      }
    }
    this.dropped.unknownSource++;
  }

  // ---------------------------------------------------------------- nomination, selection, consent, state

  /** After any input or timeout: nominate (controlling side), move the selected pairs, update the state. */
  private nominateSelectAndUpdateState(now: number): void {
    if (this.state === 'closed') return;
    if (nominates(this.mode, this.role)) this.nominate(now);
    this.updateSelection(now);
    this.updateState(now);
  }

  /** Regular nomination (RFC 8445 §8.1.1) of each component, as `regularNomination` decides. */
  private nominate(now: number): void {
    this.nominationWakeAt = undefined;
    if (this.generation.remotePwd === undefined) return;
    for (const s of this.streams.values()) {
      for (const c of this.componentsOf(s)) {
        const decision = regularNomination({
          pairs: s.checkList.pairs.filter((p) => p.local.component === c),
          selected: s.selected.get(c),
          generation: this.generation,
          firstValidAt: this.firstValidAt,
          now,
          timing: this.timing,
        });
        if (decision.action === 'wait') {
          this.nominationWakeAt = Math.min(this.nominationWakeAt ?? Number.POSITIVE_INFINITY, decision.until);
          continue;
        }
        if (decision.action !== 'nominate') continue;
        // Repeat the check that produced the valid pair, with USE-CANDIDATE. Sent at once rather than on the
        // next Ta slot: it is a repeat on a path already proven, not a new flow Ta paces.
        const best = decision.pair;
        const checked = best.generatedBy ?? best;
        best.nominating = true;
        checked.nominating = true;
        this.transactions.cancelChecksOn(checked);
        this.startCheck(checked, now, true);
      }
    }
  }

  private updateSelection(now: number): void {
    let allSelected = true;
    for (const s of this.streams.values()) {
      for (const c of this.componentsOf(s)) {
        const best = pairToSelect(
          s.checkList.pairs.filter((p) => p.local.component === c),
          s.selected.get(c),
          this.generation,
        );
        if (best) {
          s.selected.set(c, best);
          best.lastConsentAt = Math.max(best.lastConsentAt, now - 1);
          if (this.mode.runsConsent)
            s.nextConsentAt.set(c, now + consentDelay(this.timing, randomFloat(this.random)));
          this.events.push({
            type: 'selected-pair',
            streamId: s.id,
            component: c,
            pair: this.pairInfo(best),
          });
        }
        const sel = s.selected.get(c);
        if (!sel || sel.generation !== this.generation) allSelected = false;
      }
      // Check list completion: a nominated pair per component and nothing better still pending (§6.1.2.1 / §8.1.2).
      if (
        s.checkList.state === 'running' &&
        this.componentsOf(s).every((c) => s.selected.get(c)?.generation === this.generation)
      ) {
        const pending = s.checkList.pairs.some(
          (p) => (p.state === 'in-progress' || p.state === 'waiting') && !this.outranked(p),
        );
        if (!pending) s.checkList.state = 'completed';
      }
    }
    if (allSelected && this.previousGeneration) this.previousGeneration = undefined;
  }

  private runConsent(now: number): void {
    if (!this.mode.runsConsent) return;
    for (const s of this.streams.values()) {
      for (const c of this.componentsOf(s)) {
        const pair = this.activePair(s.id, c);
        if (!pair) continue;
        let action = consentTimerAction(now, s.nextConsentAt.get(c));
        if (action === 'schedule') {
          s.nextConsentAt.set(c, now + consentDelay(this.timing, randomFloat(this.random)));
          action = consentTimerAction(now, s.nextConsentAt.get(c));
        }
        if (action === 'send') {
          // RFC 7675 §5.1: a Binding request on the pair, with the ICE credentials; answered means consent.
          this.startCheck(pair.generatedBy ?? pair, now, false, 'consent');
          s.nextConsentAt.set(c, now + consentDelay(this.timing, randomFloat(this.random)));
        }
      }
    }
  }

  private updateState(now: number): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    // Consent (RFC 7675 §5.1): lost after consentTimeout without an authenticated answer; sending stops.
    let anyActive = false;
    let allActive = true;
    let stale = false;
    for (const s of this.streams.values())
      for (const c of this.componentsOf(s)) {
        const p = this.activePair(s.id, c);
        if (!p) {
          allActive = false;
          continue;
        }
        anyActive = true;
        if (!this.mode.runsConsent) continue;
        const verdict = consentVerdict(p.lastConsentAt, now, this.timing);
        if (verdict === 'expired') {
          this.fail('consent-lost');
          return;
        }
        if (verdict === 'stale') stale = true;
      }
    if (stale) {
      if (this.state !== 'disconnected') this.setState('disconnected');
      return;
    }
    if (allActive && anyActive) {
      const target = this.allNominated() ? 'completed' : 'connected';
      if (this.state !== target && !(target === 'connected' && this.state === 'completed')) {
        if (this.state === 'new' || this.state === 'checking' || this.state === 'disconnected')
          this.setState('connected');
        if (target === 'completed') this.setState('completed');
      }
      return;
    }
    if (this.state === 'connected' || this.state === 'completed' || this.state === 'disconnected') return;
    // Not connected yet: failure when every pair failed and the peer said it has no more candidates.
    if (this.generation.remotePwd !== undefined) {
      for (const s of this.streams.values()) {
        const list = s.checkList;
        if (!s.remoteEndOfCandidates || list.state !== 'running') continue;
        // RFC 8445 §8.1.2 / RFC 8838 §8: with both sides' candidates complete and not one pair
        // (e.g. IPv4 here, IPv6 there), no pair can ever form: fail now rather than at the timeout.
        if (list.pairs.length === 0 && this.localEndOfCandidates) {
          list.state = 'failed';
          this.fail('no-pairs');
          return;
        }
        const settled =
          list.pairs.length > 0 &&
          list.pairs.every((p) => p.state === 'failed') &&
          this.triggered.length === 0 &&
          !this.hardNat?.holdsFailure(now);
        if (settled) {
          list.state = 'failed';
          this.fail('all-checks-failed');
          return;
        }
      }
    }
    if (this.checkingSince !== undefined && now - this.checkingSince >= this.timing.connectTimeout)
      this.fail('timeout');
  }

  private allNominated(): boolean {
    for (const s of this.streams.values())
      for (const c of this.componentsOf(s)) {
        const sel = s.selected.get(c);
        if (!sel?.nominated) return false;
      }
    return true;
  }

  /** The pair data goes over for a component: the selected pair, else the best valid pair. */
  private activePair(streamId: number, component: number): CandidatePair | undefined {
    const s = this.streams.get(streamId);
    if (!s) return undefined;
    const sel = s.selected.get(component);
    if (sel) return sel;
    let best: CandidatePair | undefined;
    for (const p of s.checkList.pairs) {
      const v = p.validPair;
      if (v?.valid && v.local.component === component && (!best || v.priority > best.priority)) best = v;
    }
    return best;
  }

  private fail(reason: IceFailureReason): void {
    this.transactions.clear();
    this.triggered = [];
    for (const s of this.streams.values()) {
      s.selected.clear();
      s.nextConsentAt.clear();
    }
    this.nominationWakeAt = undefined;
    this.setState('failed', reason);
  }

  private setState(state: IceConnectionState, reason?: IceFailureReason): void {
    if (this.state === state) return;
    this.state = state;
    this.events.push(reason ? { type: 'state', state, reason } : { type: 'state', state });
  }

  // ---------------------------------------------------------------- helpers

  private refusal(init: RemoteCandidateInit): RemoteCandidateRefusal | undefined {
    const problem = remoteAddressProblem(init.address);
    if (problem !== undefined) return problem;
    if (isLoopbackAddress(init.address)) {
      const allowed = this.allowLoopback ?? this.localCandidates.some((c) => isLoopbackAddress(c.base));
      if (!allowed) return 'loopback';
    }
    const signalled = this.remoteCandidates.filter((c) => c.type !== 'prflx').length;
    if (signalled >= this.maxRemoteCandidates) return 'limit';
    return undefined;
  }

  private componentsOf(s: Stream): number[] {
    return Array.from({ length: s.components }, (_, i) => i + 1);
  }

  private foundation(key: string): string {
    let f = this.foundations.get(key);
    if (!f) {
      f = String(this.foundations.size + 1);
      this.foundations.set(key, f);
    }
    return f;
  }

  /** The pair application data goes on now, with the data counted on it; undefined when none may carry it. */
  private dataPair(
    component: number,
    streamId: number,
    packets: number,
    bytes: number,
  ): CandidatePair | undefined {
    if (this.state === 'closed' || this.state === 'failed') return undefined;
    const pair = this.activePair(streamId, component);
    if (!pair) return undefined;
    pair.stats.bytesSent += bytes;
    pair.stats.packetsSent += packets;
    return pair;
  }

  private pairInfo(p: CandidatePair): PairInfo {
    return {
      id: p.id,
      streamId: p.local.streamId,
      component: p.local.component,
      local: p.local,
      remote: p.remote,
      priority: p.priority,
      state: p.state,
      valid: p.valid,
      nominated: p.nominated,
      stats: { ...p.stats },
    };
  }

  private assertOpen(): void {
    if (this.state === 'closed') throw new Error('ICE agent is closed; create a new agent');
  }

  private assertComponent(streamId: number, component: number): void {
    const s = this.streams.get(streamId);
    if (!s)
      throw new Error(`ICE stream ${streamId} does not exist; declare it in the agent's "streams" option`);
    if (component < 1 || component > s.components)
      throw new Error(
        `ICE component ${component} does not exist in stream ${streamId} (it has ${s.components})`,
      );
  }
}
