// Node adapter: UDP sockets, timers and a clock around the sans-IO IceAgent. One socket per local base
// carries STUN checks, TURN traffic (when a relay shares it) and application data.

import type { Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { DeadlineTimer, type TransportAddress } from '@p2pcat/stun';
import { abortError } from '../abort.js';
import { addressKey, familyOf } from '../core/address.js';
import { IceAgent, type IceAgentOptions, type IceRole } from '../core/agent.js';
import { parseCandidateSdp } from '../core/candidate-sdp.js';
import type { IceConnectionState, IceEvent, IceFailureReason, PairInfo } from '../core/events.js';
import type { HardNatEvent } from '../core/hard-nat/driver.js';
import { IceError } from '../errors.js';
import type { TypedEventEmitter } from '../events.js';
import { describe, type IceDescription } from './description.js';
import {
  type BaseSocket,
  type CandidateGatherer,
  HostGatherer,
  type HostGathererOptions,
} from './host-candidates.js';
import { openProbeSockets } from './probe-sockets.js';

/**
 * A TURN allocation usable as a relayed candidate's base (the turn package's TurnSocket fits):
 * data to a peer goes through `send`, data from peers arrives as 'message' events.
 */
export interface RelayAllocation {
  /** Known once allocated. */
  readonly relayedAddress: TransportAddress | undefined;
  /** Sends a datagram to a peer through the relay. */
  send(data: Uint8Array, peer: TransportAddress): void;
  /** Listens for datagrams from peers. */
  on(event: 'message', listener: (data: Uint8Array, peer: TransportAddress) => void): unknown;
  /**
   * Installs a permission for the peer (RFC 8656 §9) and binds a channel to it (§12). Called as
   * soon as a pair with this relayed candidate forms, before any check is sent on it.
   */
  bindChannel?(peer: TransportAddress): Promise<unknown>;
  /** Installs a permission for the peer's IP address (RFC 8656 §9); used when bindChannel is absent. */
  createPermission?(peer: TransportAddress): Promise<unknown>;
}

/**
 * A base whose UDP socket is owned by someone else (the gather package's HostBase): ICE sends
 * through it and receives the datagrams the owner does not claim (its STUN and TURN traffic).
 * IceConnection.close() leaves it open; its owner closes it.
 */
export interface SharedBase {
  /** The socket's local address: the host candidate's address and base. */
  readonly address: TransportAddress;
  /** RFC 8445 §5.1.2.1 local preference of its host candidate (0..65535, default 65535) */
  readonly localPreference?: number;
  /** Sends a datagram from this socket. */
  send(data: Uint8Array, destination: TransportAddress): void;
  /**
   * The bound UDP socket behind `send`, when the owner lets application data bypass it in batches
   * (IceConnectionOptions.batchSend); without it every datagram goes through `send`.
   */
  readonly socket?: Socket;
  /** Subscribes to the datagrams for ICE; returns an unsubscribe. */
  onDatagram(handler: (data: Uint8Array, from: TransportAddress) => void): () => void;
}

/** A datagram transport on the selected pair: what pseudo-TCP and applications use. */
export interface IceTransport {
  /** Sends one datagram on the selected pair; dropped when there is none. */
  send(data: Uint8Array): void;
  /**
   * Sends `datagrams[0..count)` on the selected pair, in order, as `send` would one by one (the
   * array is the caller's again when it returns). Returns true when none of the datagrams given to
   * this transport so far will still be read (their bytes were copied into the kernel, or they were
   * dropped): the caller may reuse that memory. False when some may still wait (in node:dgram's
   * queue, a TURN client's, or wherever a shared base's `send` put them).
   */
  sendBatch(datagrams: readonly Uint8Array[], count: number): boolean;
  /** Registers a listener for datagrams on the connection; returns a function that removes it. */
  onMessage(cb: (data: Uint8Array) => void): () => void;
  /** Closes the whole ICE connection. */
  close(): void;
}

/** Options of `IceConnection`: those of `IceAgent`, plus how to get candidates. */
export interface IceConnectionOptions extends Omit<IceAgentOptions, 'role' | 'streams'> {
  /** Default: decided when the remote description arrives (the side with the greater ufrag controls). */
  role?: IceRole;
  /** Host sockets to use; default binds every non-internal IPv4 interface. */
  host?: HostGathererOptions;
  /** Replaces host gathering (the gather package plugs in here). */
  gatherer?: CandidateGatherer;
  /**
   * Sends application data in batched system calls (IceTransport.sendBatch) on a host base's
   * socket: `datagrams[0..count)` to `destination`; returns how many it sent, the rest go through
   * node:dgram. `@p2pcat/pseudotcp`'s `nativeBatchSend()` (sendmmsg, Linux) fits. Default: none,
   * every datagram goes through node:dgram.
   */
  batchSend?: BatchSend;
}

/** Sends datagrams to one destination in batched system calls; returns how many it sent (see IceConnectionOptions.batchSend). */
export type BatchSend = (
  socket: Socket,
  destination: TransportAddress,
  datagrams: readonly Uint8Array[],
  count: number,
) => number;

/** An agent event of the given type (`IceEvent` narrowed by its `type`). */
type AgentEvent<T extends IceEvent['type']> = Extract<IceEvent, { type: T }>;

/** IceConnection's events: each event name to the tuple of its listener's arguments. */
export interface IceConnectionEvents {
  /** The connection state changed; `reason` says why when the new state is 'failed'. */
  state: [state: IceConnectionState, reason: IceFailureReason | undefined];
  /** The pair data now goes over (may fire again when a better pair wins). */
  'selected-pair': [pair: PairInfo];
  /** A datagram from the peer on a validated pair. */
  message: [data: Uint8Array, component: number];
  /** The peer restarted ICE (RFC 8445 §9): hand this new local description to the peer. */
  restart: [description: IceDescription];
  /** Something went wrong that does not end the connection (a socket error, an unsent datagram, a TURN permission refused). */
  warning: [error: Error];
  /** A check produced a valid pair, not yet selected (the agent's 'valid-pair' event). */
  'valid-pair': [event: AgentEvent<'valid-pair'>];
  /** A peer-reflexive candidate was learnt (the agent's 'prflx-candidate' event). */
  'prflx-candidate': [event: AgentEvent<'prflx-candidate'>];
  /** The role changed (the agent's 'role' event). */
  role: [event: AgentEvent<'role'>];
  /** A signalled remote candidate was refused (the agent's 'candidate-refused' event). */
  'candidate-refused': [event: AgentEvent<'candidate-refused'>];
  /** What the hard-NAT extension decided and tried (agent option hardNat). */
  'hard-nat': [event: HardNatEvent];
}

/** Options of IceConnection.connect(). */
export interface IceConnectOptions {
  /** Stops waiting: connect() rejects with an AbortError (the connection itself stays open). */
  signal?: AbortSignal;
}

// node:events' EventEmitter at run time; typed over IceConnectionEvents for the compiler.
const IceConnectionEmitter = EventEmitter as unknown as new () => TypedEventEmitter<IceConnectionEvents> &
  Omit<EventEmitter, keyof TypedEventEmitter<IceConnectionEvents>>;

/**
 * An ICE agent on UDP sockets: gathers, exchanges descriptions, checks and delivers datagrams.
 * Events (typed by IceConnectionEvents): 'state', 'selected-pair', 'message', 'restart', 'warning'
 * and the agent's other events.
 */
export class IceConnection extends IceConnectionEmitter {
  /** The sans-IO agent underneath. */
  readonly agent: IceAgent;
  private bases: BaseSocket[] = [];
  private readonly shared = new Map<string, { base: SharedBase; unsubscribe: () => void }>();
  private readonly relays = new Map<string, RelayAllocation>();
  /** relayed|remote address pairs whose TURN permission (and channel) was requested */
  private readonly relayPeers = new Set<string>();
  private readonly sendErrorsNoted = new Set<string>();
  /** Datagrams on a shared base socket that belong to someone else (a TURN client) are offered here first. */
  private readonly interceptors: ((
    data: Uint8Array,
    from: TransportAddress,
    base: TransportAddress,
  ) => boolean)[] = [];
  private readonly timer = new DeadlineTimer(
    () => {
      this.agent.handleTimeout(this.now());
      this.drive();
    },
    () => this.now(),
  );
  private readonly messageListeners = new Set<(data: Uint8Array) => void>();
  /** Application datagrams handed to node:dgram by sendBatch whose asynchronous send has not completed. */
  private dgramSendsPending = 0;
  /**
   * sendBatch handed data to something that may keep it for an unknown time (a TURN client queues
   * it until its permission is installed; a shared base without a socket; node:dgram untracked):
   * from then on it never tells the caller that its memory is free.
   */
  private dataHeldElsewhere = false;
  private readonly dgramSent = (): void => {
    this.dgramSendsPending--;
  };
  private roleFixed: boolean;
  private closed = false;
  /** why the agent last failed, for a connect() called after the fact */
  private lastFailure: IceFailureReason | undefined;
  private readonly t0 = performance.now();

  constructor(private readonly options: IceConnectionOptions = {}) {
    super();
    const { host: _h, gatherer: _g, batchSend: _b, role, ...agentOptions } = options;
    this.agent = new IceAgent({ ...agentOptions, ...(role ? { role } : {}) });
    this.roleFixed = role !== undefined;
  }

  private now(): number {
    return performance.now() - this.t0;
  }

  /** The connection state. */
  get state(): IceConnectionState {
    return this.agent.connectionState;
  }

  /** Binds the base sockets and returns the local description to hand to the peer. */
  async gather(): Promise<IceDescription> {
    const gatherer = this.options.gatherer ?? new HostGatherer(this.options.host);
    const bases = await gatherer.gather();
    for (const b of bases) this.addBase(b);
    // The description says endOfCandidates: true, so our gathering is complete too (RFC 8838 §8.2).
    this.endOfLocalCandidates();
    return this.localDescription();
  }

  /** Adopts a bound socket as a base (host candidate). */
  addBase(base: BaseSocket): void {
    this.listen(base);
    this.agent.addLocalCandidate({
      type: 'host',
      address: base.address,
      ...(base.localPreference !== undefined ? { localPreference: base.localPreference } : {}),
    });
    this.drive();
  }

  /** The hard-NAT extension asked for fresh sockets (agent option hardNat): bind them, hand them over. */
  private async addProbeBases(address: string, count: number): Promise<void> {
    const sockets = await openProbeSockets(address, count);
    for (const s of sockets) {
      if (this.closed) {
        s.socket.close();
        continue;
      }
      this.listen(s);
      this.agent.addProbeBase(s.address);
    }
    this.drive();
  }

  private listen(base: BaseSocket): void {
    this.bases.push(base);
    base.socket.on('message', (msg, rinfo) => {
      const from: TransportAddress = {
        family: familyOf(rinfo.address),
        address: rinfo.address,
        port: rinfo.port,
      };
      const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      for (const i of this.interceptors) if (i(data, from, base.address)) return;
      this.agent.handleInput(data, from, base.address, this.now());
      this.drive();
    });
    base.socket.on('error', (e) => this.emit('warning', e));
  }

  /**
   * Adopts a base whose socket another owner keeps (see SharedBase): its host candidate is added,
   * its datagrams reach the agent after this connection's interceptors.
   */
  addSharedBase(base: SharedBase): void {
    const key = addressKey(base.address);
    if (this.shared.has(key)) return;
    const unsubscribe = base.onDatagram((data, from) => {
      if (this.closed) return;
      for (const i of this.interceptors) if (i(data, from, base.address)) return;
      this.agent.handleInput(data, from, base.address, this.now());
      this.drive();
    });
    this.shared.set(key, { base, unsubscribe });
    this.agent.addLocalCandidate({
      type: 'host',
      address: base.address,
      ...(base.localPreference !== undefined ? { localPreference: base.localPreference } : {}),
    });
    this.drive();
  }

  /** Whether a host base for this address was added (addBase or addSharedBase). */
  hasBase(address: TransportAddress): boolean {
    const key = addressKey(address);
    return this.shared.has(key) || this.ownBase(key) !== undefined;
  }

  /**
   * Sends a datagram from a local base: a host socket (e.g. for a TURN client sharing it) or a
   * relayed address (through its TURN allocation). Unknown bases and closed connections drop it.
   */
  sendFromBase(base: TransportAddress, data: Uint8Array, destination: TransportAddress): void {
    if (this.closed) return;
    this.transmit(base, data, destination);
  }

  /**
   * One datagram out of a base. dgram's send() throws synchronously for a destination it cannot
   * use (ERR_SOCKET_BAD_PORT for port 0, an invalid address) or a closed socket; such a datagram
   * is dropped like one lost on the network (a peer's bad candidate must not crash a timer) and
   * reported once per error code as a 'warning'.
   */
  private transmit(source: TransportAddress, data: Uint8Array, destination: TransportAddress): void {
    const key = addressKey(source);
    try {
      const relay = this.relays.get(key);
      if (relay) {
        relay.send(data, destination);
        return;
      }
      const shared = this.shared.get(key);
      if (shared) {
        shared.base.send(data, destination);
        return;
      }
      this.ownBase(key)?.socket.send(data, destination.port, destination.address);
    } catch (e) {
      this.noteSendError(e);
    }
  }

  /** A datagram dgram refused synchronously: dropped like one lost, reported once per error code. */
  private noteSendError(e: unknown): void {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (this.sendErrorsNoted.has(code)) return;
    this.sendErrorsNoted.add(code);
    this.emit('warning', new Error(`a datagram was not sent: ${(e as Error).message}`));
  }

  /**
   * RFC 8656 §9: a TURN server relays a peer's datagram to us only when a permission for the
   * peer's IP address is installed, and permissions are installed by the client. The peer's first
   * checks towards our relayed candidate would be dropped until our own first send; so as soon as
   * a pair with a relayed local candidate forms, the permission is installed and a channel bound
   * (§12) for its remote address.
   */
  private prepareRelayedPairs(): void {
    if (this.closed || this.relays.size === 0) return;
    for (const p of this.agent.getPairs()) {
      if (p.local.type !== 'relay') continue;
      const relay = this.relays.get(addressKey(p.local.address));
      if (!relay) continue;
      const k = `${addressKey(p.local.address)}>${addressKey(p.remote.address)}`;
      if (this.relayPeers.has(k)) continue;
      this.relayPeers.add(k);
      const peer = p.remote.address;
      const pending = relay.bindChannel
        ? relay.bindChannel(peer)
        : relay.createPermission
          ? relay.createPermission(peer)
          : undefined;
      pending?.catch((e: unknown) => {
        if (!this.closed) this.emit('warning', e instanceof Error ? e : new Error(String(e)));
      });
    }
  }

  /** Offers every datagram of the base sockets to `interceptor` first (true = consumed, e.g. TURN's). */
  addInterceptor(
    interceptor: (data: Uint8Array, from: TransportAddress, base: TransportAddress) => boolean,
  ): void {
    this.interceptors.push(interceptor);
  }

  /** Adds a relayed candidate whose base is a TURN allocation. */
  addRelay(relay: RelayAllocation, server?: TransportAddress, localPreference?: number): void {
    const relayed = relay.relayedAddress;
    if (!relayed)
      throw new IceError(
        'no-relayed-address',
        'TURN allocation has no relayed address yet; await allocate() before addRelay()',
      );
    this.relays.set(addressKey(relayed), relay);
    relay.on('message', (data, peer) => {
      this.agent.handleInput(data, peer, relayed, this.now());
      this.drive();
    });
    this.agent.addLocalCandidate({
      type: 'relay',
      address: relayed,
      ...(server ? { server } : {}),
      ...(localPreference !== undefined ? { localPreference } : {}),
    });
    this.prepareRelayedPairs();
    this.drive();
  }

  /** Adds a server-reflexive candidate learnt elsewhere (e.g. by a STUN query on a base socket). */
  addServerReflexive(
    address: TransportAddress,
    base: TransportAddress,
    server?: TransportAddress,
    localPreference?: number,
  ): void {
    this.agent.addLocalCandidate({
      type: 'srflx',
      address,
      base,
      relatedAddress: base,
      ...(server ? { server } : {}),
      ...(localPreference !== undefined ? { localPreference } : {}),
    });
    this.drive();
  }

  /** Our description now: credentials and the local candidates so far. */
  localDescription(): IceDescription {
    return describe(this.agent.localCredentials, this.agent.getLocalCandidates(), this.agent.isLite);
  }

  /** The peer's description (credentials and candidates, possibly partial: trickle more with addRemoteCandidate). */
  setRemoteDescription(remote: IceDescription): void {
    if (!this.roleFixed && !this.agent.isLite) {
      // Both sides reach the same answer without a round trip: the greater ufrag controls.
      this.agent.setRole(this.agent.localCredentials.ufrag > remote.ufrag ? 'controlling' : 'controlled');
      this.roleFixed = true;
    }
    const current = this.agent.remoteCredentials;
    if (current && (current.ufrag !== remote.ufrag || current.pwd !== remote.pwd)) {
      // RFC 8445 §9: new remote credentials mean the peer restarted ICE; restart too and hand the
      // new local description (event 'restart') to the peer.
      this.agent.restart();
      this.emit('restart', this.localDescription());
    }
    this.agent.setRemoteCredentials({ ufrag: remote.ufrag, pwd: remote.pwd }, { lite: remote.lite ?? false });
    for (const line of remote.candidates) this.addRemoteCandidate(line);
    if (remote.endOfCandidates) this.agent.endOfRemoteCandidates();
    this.prepareRelayedPairs();
    this.drive();
  }

  /** One trickled remote candidate, in SDP candidate-attribute form. */
  addRemoteCandidate(line: string): void {
    const c = parseCandidateSdp(line);
    // Only candidates of an address family we have a base for.
    this.agent.addRemoteCandidate(c);
    this.prepareRelayedPairs();
    this.drive();
  }

  /** Tells the agent the peer has signalled all its candidates (RFC 8838). */
  endOfRemoteCandidates(): void {
    this.agent.endOfRemoteCandidates();
    this.drive();
  }

  /**
   * No more local candidates will be added (gather() says so itself; callers that add bases,
   * server-reflexive and relayed candidates by hand say it when they are done). With the peer's
   * end-of-candidates and no candidate pair, connect() then rejects at once with the 'no-pairs'
   * reason instead of waiting for connectTimeout.
   */
  endOfLocalCandidates(): void {
    this.agent.endOfLocalCandidates();
    this.drive();
  }

  /**
   * Resolves with the datagram transport once data can flow; rejects with an IceError whose code
   * says why ('no-pairs', 'all-checks-failed', 'consent-lost', 'timeout', 'closed'). An abort of
   * `signal` rejects with an AbortError and leaves the connection as it is.
   */
  connect(options: IceConnectOptions = {}): Promise<IceTransport> {
    const { signal } = options;
    const s = this.state;
    if (s === 'connected' || s === 'completed') return Promise.resolve(this.transport());
    if (s === 'failed' || s === 'closed') return Promise.reject(this.failure(s, this.lastFailure));
    if (signal?.aborted) return Promise.reject(abortError(signal, 'ICE connect() was aborted'));
    return new Promise((resolve, reject) => {
      const settle = () => {
        this.off('state', on);
        signal?.removeEventListener('abort', onAbort);
      };
      const on = (state: IceConnectionState, reason?: IceFailureReason) => {
        if (state === 'connected' || state === 'completed') {
          settle();
          resolve(this.transport());
        } else if (state === 'failed' || state === 'closed') {
          settle();
          reject(this.failure(state, reason));
        }
      };
      const onAbort = () => {
        settle();
        reject(abortError(signal as AbortSignal, 'ICE connect() was aborted'));
      };
      this.on('state', on);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The selected pair of a component, if any. */
  selectedPair(component = 1): PairInfo | undefined {
    return this.agent.getSelectedPair(component);
  }

  /** ICE restart: returns the new local description to hand to the peer. */
  restart(): IceDescription {
    this.agent.restart();
    this.drive();
    return this.localDescription();
  }

  /** Sends a datagram on the selected pair (or the best valid one); throws when there is none. */
  send(data: Uint8Array, component = 1): void {
    if (!this.agent.send(component, data)) {
      throw new IceError(
        'no-usable-pair',
        `ICE cannot send: no usable candidate pair (state ${this.state}); wait for connect() or restart`,
      );
    }
    this.drive();
  }

  /** Closes the agent and the base sockets. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.agent.close();
    this.drain();
    this.timer.clear();
    for (const b of this.bases) {
      try {
        b.socket.close();
      } catch (e) {
        // Whoever lent us the socket may have closed it already (ERR_SOCKET_DGRAM_NOT_RUNNING).
        if ((e as NodeJS.ErrnoException).code !== 'ERR_SOCKET_DGRAM_NOT_RUNNING') throw e;
      }
    }
    this.bases = [];
    // Shared sockets stay open: their owner (e.g. the gathering) closes them.
    for (const s of this.shared.values()) s.unsubscribe();
    this.shared.clear();
  }

  private transport(): IceTransport {
    return {
      // A datagram transport may lose datagrams (pseudo-TCP retransmits): no pair to send on is a drop here.
      send: (data) => {
        this.dataHeldElsewhere = true; // node:dgram may keep it: sendBatch no longer vouches for memory
        if (this.agent.send(1, data)) this.drive();
      },
      sendBatch: (datagrams, count) => this.sendBatch(datagrams, count),
      onMessage: (cb) => {
        this.messageListeners.add(cb);
        return () => this.messageListeners.delete(cb);
      },
      close: () => this.close(),
    };
  }

  /**
   * A batch of application data on the pair in use: the route is looked up once and, on a host
   * base, the datagrams go out through options.batchSend (when given), the rest one by one through
   * node:dgram. Through a TURN relay each goes as `send` would.
   */
  private sendBatch(datagrams: readonly Uint8Array[], count: number): boolean {
    if (this.closed) return this.nothingHeld();
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += (datagrams[i] as Uint8Array).length;
    const route = this.agent.dataRoute(1, count, bytes);
    if (route === undefined) return this.nothingHeld(); // dropped, like send() without a pair
    const { source, destination } = route;
    const socket = this.baseSocket(source);
    const batchSend = this.options.batchSend;
    if (socket === undefined || batchSend === undefined) this.dataHeldElsewhere = true;
    if (socket === undefined) {
      for (let i = 0; i < count; i++) this.transmit(source, datagrams[i] as Uint8Array, destination);
      return false;
    }
    let sent = 0;
    if (batchSend !== undefined) {
      try {
        sent = batchSend(socket, destination, datagrams, count);
      } catch (e) {
        this.noteBatchError(e);
      }
    }
    // What batchSend did not take: node:dgram, which may hold a datagram until its asynchronous
    // send completes; counted (only when the caller can be told it may reuse its memory).
    for (let i = sent; i < count; i++) {
      const data = datagrams[i] as Uint8Array;
      try {
        if (batchSend === undefined) socket.send(data, destination.port, destination.address);
        else {
          this.dgramSendsPending++;
          socket.send(data, destination.port, destination.address, this.dgramSent);
        }
      } catch (e) {
        if (batchSend !== undefined) this.dgramSendsPending--;
        this.noteBatchError(e);
      }
    }
    return this.nothingHeld();
  }

  /** Whether no datagram given to sendBatch so far can still be read by anyone. */
  private nothingHeld(): boolean {
    return this.options.batchSend !== undefined && !this.dataHeldElsewhere && this.dgramSendsPending === 0;
  }

  /** A batch's datagram refused: a socket its owner closed meanwhile drops it silently, as its send() would. */
  private noteBatchError(e: unknown): void {
    if ((e as NodeJS.ErrnoException).code === 'ERR_SOCKET_DGRAM_NOT_RUNNING') return;
    this.noteSendError(e);
  }

  /** The UDP socket of a host base (own or shared with a socket), or undefined (a relayed base). */
  private baseSocket(source: TransportAddress): Socket | undefined {
    const key = addressKey(source);
    if (this.relays.has(key)) return undefined;
    const shared = this.shared.get(key);
    if (shared) return shared.base.socket;
    return this.ownBase(key)?.socket;
  }

  /** The base whose socket this connection owns (addBase), by address key. */
  private ownBase(key: string): BaseSocket | undefined {
    return this.bases.find((b) => addressKey(b.address) === key);
  }

  private failure(state: IceConnectionState, reason?: IceFailureReason): IceError {
    if (state === 'closed') return new IceError('closed', 'ICE connection was closed before it connected');
    const why: Record<IceFailureReason, string> = {
      'no-pairs': 'no candidate pair could be formed (no common address family?); check both candidate lists',
      'all-checks-failed':
        'every connectivity check failed; a TURN relay may be needed between these networks',
      'consent-lost': 'the peer stopped answering consent checks',
      timeout: 'no path found before the connect timeout; check candidates, firewalls, or use a TURN relay',
    };
    const code = reason ?? 'timeout';
    return new IceError(code, `ICE failed: ${why[code]}`);
  }

  /** Drains the agent and re-arms the timer. */
  private drive(): void {
    if (this.closed) return;
    this.drain();
    this.timer.set(this.agent.pollTimeout());
  }

  private drain(): void {
    for (let t = this.agent.pollTransmit(); t; t = this.agent.pollTransmit())
      this.transmit(t.source, t.data, t.destination);
    for (let e = this.agent.pollEvent(); e; e = this.agent.pollEvent()) this.dispatch(e);
  }

  private dispatch(e: IceEvent): void {
    switch (e.type) {
      case 'state':
        if (e.state === 'failed') this.lastFailure = e.reason;
        this.emit('state', e.state, e.reason);
        break;
      case 'prflx-candidate':
        // A peer-reflexive remote candidate forms pairs too (RFC 8445 §7.3.1.3).
        if (e.side === 'remote') this.prepareRelayedPairs();
        this.emit('prflx-candidate', e);
        break;
      case 'selected-pair':
        this.emit('selected-pair', e.pair);
        break;
      case 'data':
        for (const l of this.messageListeners) l(e.data);
        this.emit('message', e.data, e.component);
        break;
      case 'valid-pair':
        this.emit('valid-pair', e);
        break;
      case 'role':
        this.emit('role', e);
        break;
      case 'candidate-refused':
        this.emit('candidate-refused', e);
        break;
      case 'hard-nat':
        if (e.phase === 'sockets-wanted') void this.addProbeBases(e.address, e.count);
        this.emit('hard-nat', e);
        break;
    }
  }
}
