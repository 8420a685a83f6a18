// Sans-IO TURN allocation client (RFC 8656) with the long-term credential mechanism (RFC 8489 §9.2).
// Owns no socket, timer or clock: fed by handleInput / handleTimeout / commands, drained by
// pollTransmit / pollTimeout / pollEvent.
import {
  type AddressFamily,
  decodeChannelData,
  decodeStunMessage,
  demultiplex,
  encodeChannelData,
  formatTransportAddress,
  randomBytes,
  StunClientTransactions,
  type StunMessage,
  StunMessageBuilder,
  StunMethod,
  sameTransportAddress,
  type TransportAddress,
} from '@p2pcat/stun/core';
import { type Channel, ChannelTable } from './channels.js';
import { TurnError, turnErrorFromStatus } from './errors.js';
import { LongTermAuth } from './long-term-auth.js';
import { type Permission, PermissionTable } from './permissions.js';
import { safeGet } from './stun-attributes.js';

/** How the client reaches the TURN server (RFC 8656 §3.1): UDP, TCP or TLS over TCP. */
export type TurnTransport = 'udp' | 'tcp' | 'tls';

/** Options of `TurnAllocation`. */
export interface TurnAllocationOptions {
  /** the TURN server's transport address */
  server: TransportAddress;
  /** The long-term credential user name (RFC 8489 §9.2). */
  username: string;
  /** The long-term credential password. */
  password: string;
  /** how requests reach the server: UDP retransmits, TCP/TLS send once and pad ChannelData (RFC 8656 §12.5) */
  transport?: TurnTransport;
  /** REQUESTED-ADDRESS-FAMILY (RFC 8656 §7.1): 'IPv6' asks for an IPv6 relayed address */
  requestedAddressFamily?: AddressFamily;
  /** DONT-FRAGMENT in Allocate (RFC 8656 §7.1) */
  dontFragment?: boolean;
  /** requested allocation lifetime, seconds (default 600, RFC 8656 default) */
  lifetime?: number;
  /** ms within which a server that stops answering is reported (default 30000) */
  deadline?: number;
  /** bind a channel to each peer sent to (default true) */
  channels?: boolean;
  /** SOFTWARE attribute value sent in requests; none when absent. */
  software?: string;
  /** initial retransmission timeout over UDP, ms (default 500, RFC 8489 §6.2.1) */
  rto?: number;
  /** randomness for transaction ids (default: `randomBytes` of `@p2pcat/stun`, a CSPRNG) */
  randomBytes?: (n: number) => Uint8Array;
}

/** What `TurnAllocation.pollEvent` reports. */
export type TurnEvent =
  | {
      /** The Allocate request succeeded. */
      type: 'allocated';
      /** The relayed transport address (XOR-RELAYED-ADDRESS). */
      relayedAddress: TransportAddress;
      /** Our server-reflexive address (XOR-MAPPED-ADDRESS), if the server sent it. */
      mappedAddress: TransportAddress | undefined;
      /** The lifetime granted, seconds. */
      lifetime: number;
    }
  | {
      /** A peer's datagram arrived through the relay (Data indication or ChannelData). */
      type: 'data';
      /** The peer's datagram. */
      data: Uint8Array;
      /** The peer's transport address. */
      peer: TransportAddress;
      /** The channel it came on, or undefined for a Data indication. */
      channel: number | undefined;
    }
  | {
      /** A permission for the peer's IP address is installed (RFC 8656 §9). */
      type: 'permission';
      /** The peer the permission is for. */
      peer: TransportAddress;
    }
  | {
      /** A channel is bound to the peer (RFC 8656 §12). */
      type: 'channel';
      /** The peer the channel is bound to. */
      peer: TransportAddress;
      /** The channel number. */
      channel: number;
    }
  | {
      /** A Refresh succeeded (RFC 8656 §8): one asked for by refresh(), before expiry, or a liveness probe. */
      type: 'refreshed';
      /** The lifetime granted, seconds. */
      lifetime: number;
    }
  | {
      /** The server answered 300 (Try Alternate): allocating again at ALTERNATE-SERVER. */
      type: 'redirected';
      /** The alternate server. */
      server: TransportAddress;
    }
  | {
      /** Something failed that does not end the allocation (a permission or a channel, say). */
      type: 'warning';
      /** What failed. */
      error: TurnError;
      /** The peer concerned, if any. */
      peer: TransportAddress | undefined;
    }
  | {
      /** The allocation failed and is over. */
      type: 'failed';
      /** Why. */
      error: TurnError;
    }
  | {
      /** The allocation was closed (deleted with a zero-lifetime Refresh, or abandoned). */
      type: 'closed';
    };

/** A datagram the allocation wants sent to the server. */
export interface TurnTransmit {
  /** The encoded STUN message or ChannelData. */
  data: Uint8Array;
  /** Where to send it: the TURN server. */
  destination: TransportAddress;
}

/** Counters of what the allocation saw and did. */
export interface TurnStats {
  /** datagrams from the server that did not decode, or lacked required attributes */
  malformed: number;
  /** responses to authenticated requests whose MESSAGE-INTEGRITY did not verify */
  unauthenticated: number;
  /** data from a peer without an installed permission or bound channel, dropped */
  noPermission: number;
  /** outgoing data dropped because a permission was refused or its queue was full */
  dropped: number;
  /** Refresh requests sent (lifetime refreshes and liveness probes) */
  refreshes: number;
  /** Data indications carrying an ICMP attribute (RFC 8656 §11.6): the peer's host sent an ICMP error */
  icmp: number;
}

/**
 * The allocation's life: idle until `allocate`, then allocating, allocated, and closing, closed or
 * failed.
 */
export type TurnAllocationState = 'idle' | 'allocating' | 'allocated' | 'closing' | 'closed' | 'failed';

type RequestSpec =
  | { kind: 'allocate' }
  | { kind: 'refresh'; lifetime: number }
  | { kind: 'permission'; peers: TransportAddress[] }
  | { kind: 'channel'; peer: TransportAddress; channel: number };

/** What the allocation needs to act on a transaction's outcome: the context of each transaction. */
interface Pending {
  spec: RequestSpec;
  authenticated: boolean;
  staleRetries: number;
  /** the encoded request: resent with the same transaction id when the server was heard from meanwhile */
  bytes: Uint8Array;
}

/** RFC 8656 §14.7: REQUESTED-TRANSPORT carries an IP protocol number; 17 is UDP. */
const REQUESTED_TRANSPORT_UDP = 17;

/**
 * Sans-IO TURN client (RFC 8656): one allocation with its refreshes, permissions and channels. Feed
 * it datagrams and timeouts; drain datagrams to the server, timeouts and events.
 */
export class TurnAllocation {
  private readonly opts: Required<
    Omit<TurnAllocationOptions, 'requestedAddressFamily' | 'software' | 'server' | 'randomBytes'>
  > & { requestedAddressFamily: AddressFamily | undefined; software: string | undefined };
  private readonly randomBytes: (n: number) => Uint8Array;
  /** every request in flight, each with its Pending as the transaction's context */
  private readonly transactions: StunClientTransactions<Pending>;
  private readonly reliable: boolean;
  private serverAddress: TransportAddress;
  private redirected = false;
  private stateValue: TurnAllocationState = 'idle';

  /** long-term credential state, learned from the 401 (RFC 8489 §9.2.3) */
  private readonly auth: LongTermAuth;
  private readonly permissions = new PermissionTable();
  private readonly channels = new ChannelTable();
  private readonly transmits: TurnTransmit[] = [];
  private readonly events: TurnEvent[] = [];

  private relayed: TransportAddress | undefined;
  private mapped: TransportAddress | undefined;
  private grantedLifetime = 0;
  private refreshAt = Number.POSITIVE_INFINITY;
  private lastHeard = 0;
  private probeInFlight = false;
  /** Live counters. */
  readonly stats: TurnStats = {
    malformed: 0,
    unauthenticated: 0,
    noPermission: 0,
    dropped: 0,
    refreshes: 0,
    icmp: 0,
  };

  constructor(options: TurnAllocationOptions) {
    this.serverAddress = options.server;
    this.reliable = (options.transport ?? 'udp') !== 'udp';
    this.opts = {
      username: options.username,
      password: options.password,
      transport: options.transport ?? 'udp',
      requestedAddressFamily: options.requestedAddressFamily,
      dontFragment: options.dontFragment ?? false,
      lifetime: options.lifetime ?? 600,
      deadline: options.deadline ?? 30_000,
      channels: options.channels ?? true,
      software: options.software,
      rto: options.rto ?? 500,
    };
    this.randomBytes = options.randomBytes ?? randomBytes;
    this.auth = new LongTermAuth(options.username, options.password);
    this.transactions = new StunClientTransactions<Pending>({ rto: this.opts.rto, reliable: this.reliable });
  }

  /** Where the allocation is in its life. */
  get state(): TurnAllocationState {
    return this.stateValue;
  }
  /** The TURN server's transport address (the alternate one after a 300 redirect). */
  get server(): TransportAddress {
    return this.serverAddress;
  }
  /** The relayed transport address (XOR-RELAYED-ADDRESS), once allocated. */
  get relayedAddress(): TransportAddress | undefined {
    return this.relayed;
  }
  /** XOR-MAPPED-ADDRESS of the Allocate success: the server-reflexive address of the client. */
  get mappedAddress(): TransportAddress | undefined {
    return this.mapped;
  }
  /** lifetime granted by the server, seconds */
  get lifetime(): number {
    return this.grantedLifetime;
  }

  /** Sends the first, unauthenticated Allocate (RFC 8656 §7.1). */
  allocate(now: number): void {
    if (this.stateValue !== 'idle') return;
    this.stateValue = 'allocating';
    this.lastHeard = now;
    this.request({ kind: 'allocate' }, now, 0);
  }

  /**
   * Sends `data` to `peer` through the relay. Installs a permission (and binds a channel) on first use;
   * until then data waits in a bounded queue. Returns false when the data was dropped.
   */
  send(data: Uint8Array, peer: TransportAddress, now: number): boolean {
    if (this.stateValue !== 'allocated' && this.stateValue !== 'allocating') {
      this.stats.dropped++;
      return false;
    }
    const permission = this.ensurePermission(peer, now);
    const channel = this.opts.channels ? this.ensureChannel(peer, now) : undefined;
    if (this.stateValue === 'allocated' && channel?.bound) {
      this.transmit(encodeChannelData(channel.number, data, { pad: this.reliable }));
      return true;
    }
    if (this.stateValue === 'allocated' && permission.installed) {
      this.transmit(this.sendIndication(data, peer));
      return true;
    }
    if (!this.permissions.enqueue(permission, data, peer)) {
      this.stats.dropped++;
      return false;
    }
    return true;
  }

  /** Installs a permission for the peer's IP address (RFC 8656 §9); refreshed until close. */
  createPermission(peer: TransportAddress, now: number): void {
    if (this.stateValue !== 'allocated' && this.stateValue !== 'allocating') return;
    this.ensurePermission(peer, now);
  }

  /** Binds a channel to the peer (RFC 8656 §12); refreshed until close. Returns the channel number. */
  bindChannel(peer: TransportAddress, now: number): number | undefined {
    if (this.stateValue !== 'allocated' && this.stateValue !== 'allocating') return undefined;
    this.ensurePermission(peer, now);
    return this.ensureChannel(peer, now)?.number;
  }

  /**
   * Refreshes the allocation now (RFC 8656 §8; also done on its own before expiry). Emits 'refreshed'
   * on success; a failure is 'failed' as for any Refresh. Returns false when there is no allocation.
   */
  refresh(now: number): boolean {
    if (this.stateValue !== 'allocated') return false;
    if (!this.probeInFlight) this.sendRefresh(now);
    return true;
  }

  /** Deletes the allocation: Refresh with LIFETIME 0 (RFC 8656 §8). Emits 'closed' when done. */
  close(now: number): void {
    if (this.stateValue === 'allocated') {
      this.cancelAll();
      this.stateValue = 'closing';
      this.request({ kind: 'refresh', lifetime: 0 }, now, 0);
      return;
    }
    if (this.stateValue === 'closing' || this.stateValue === 'closed' || this.stateValue === 'failed') return;
    if (this.stateValue === 'allocating') {
      // The Allocate may already have succeeded on the server: let it finish, then delete what it made.
      this.stats.dropped += this.permissions.clear();
      this.channels.clear();
      this.stateValue = 'closing';
      return;
    }
    this.stateValue = 'closed';
    this.events.push({ type: 'closed' });
  }

  /** Whether data from this peer's IP address would be delivered now (an installed permission). */
  hasPermission(peer: TransportAddress, now: number): boolean {
    return this.stateValue === 'allocated' && this.permissions.allows(peer, now);
  }

  /** The channel bound to this peer, if any (undefined while the ChannelBind is in flight). */
  boundChannel(peer: TransportAddress): number | undefined {
    const c = this.channels.forPeer(peer);
    return this.stateValue === 'allocated' && c?.bound ? c.number : undefined;
  }

  /** The stream (TCP/TLS) to the server closed: the allocation is gone with it (RFC 8656 §3.1). */
  handleConnectionClosed(_now: number): void {
    if (this.stateValue === 'closing') {
      this.cancelAll();
      this.finishClose();
      return;
    }
    this.fail(
      new TurnError(
        'connection-lost',
        `TURN server ${formatTransportAddress(this.serverAddress)} closed the connection: the allocation is gone; allocate again`,
      ),
    );
  }

  /**
   * A datagram (or a framed message from a stream) that arrived from `from`. Returns true when it was the
   * TURN server's (a response to one of our requests, a Data indication or ChannelData) and was consumed.
   */
  handleInput(bytes: Uint8Array, from: TransportAddress, now: number): boolean {
    if (!sameTransportAddress(from, this.serverAddress)) return false;
    const kind = demultiplex(bytes);
    if (kind === 'channel-data') {
      this.lastHeard = now;
      this.onChannelData(bytes, now);
      return true;
    }
    if (kind !== 'stun') {
      if (bytes.length > 0 && bytes[0]! >= 0x40 && bytes[0]! <= 0x4f) {
        this.stats.malformed++;
        return true;
      }
      return false;
    }
    let message: StunMessage;
    try {
      message = decodeStunMessage(bytes);
    } catch {
      this.stats.malformed++;
      return true;
    }
    if (message.class === 'indication') {
      if (message.method !== StunMethod.Data) return false;
      this.lastHeard = now;
      this.onDataIndication(message, now);
      return true;
    }
    if (message.class !== 'success' && message.class !== 'error') return false;
    const pending = this.transactions.lookup(message, from)?.context;
    if (!pending) return false;
    // RFC 8489 §6.3.4: a success response with unknown comprehension-required attributes is discarded.
    if (message.class === 'success' && message.unknownComprehensionRequired.length > 0) {
      this.stats.malformed++;
      return true;
    }
    // RFC 8489 §9.2.5: a response other than 401/438 to an authenticated request must carry a valid
    // MESSAGE-INTEGRITY(-SHA256); otherwise it is discarded (the transaction keeps waiting).
    if (pending.authenticated && !this.auth.authentic(message)) {
      this.stats.unauthenticated++;
      return true;
    }
    if (!this.transactions.handleResponse(message, from, now)) return false;
    this.lastHeard = now;
    this.drainTransactionEvents(now);
    return true;
  }

  /**
   * Runs the timers due at `now` (ms): retransmissions, refreshes, permission and channel renewals,
   * the server-silence deadline.
   */
  handleTimeout(now: number): void {
    this.transactions.handleTimeout(now);
    this.drainTransactionEvents(now);
    if (this.stateValue !== 'allocated') return;
    if (now >= this.refreshAt && !this.probeInFlight) {
      this.sendRefresh(now);
    } else if (!this.probeInFlight && now - this.lastHeard >= this.opts.deadline / 2) {
      // Liveness probe: a Refresh also tells us (437) when the server lost the allocation.
      this.sendRefresh(now);
    }
    for (const p of this.permissions.due(now)) this.requestPermission(p, now);
    for (const c of this.channels.due(now)) this.requestChannel(c, now);
  }

  /** The next datagram to send to the server, or undefined when none is queued. */
  pollTransmit(): TurnTransmit | undefined {
    this.pullTransactionTransmits();
    return this.transmits.shift();
  }

  /** When (ms) `handleTimeout` is next wanted, or undefined when no timer runs. */
  pollTimeout(): number | undefined {
    const candidates: number[] = [];
    const t = this.transactions.pollTimeout();
    if (t !== undefined) candidates.push(t);
    if (this.stateValue === 'allocated') {
      if (!this.probeInFlight) {
        candidates.push(Math.min(this.refreshAt, this.lastHeard + this.opts.deadline / 2));
      }
      const permission = this.permissions.nextRefresh();
      if (permission !== undefined) candidates.push(permission);
      const channel = this.channels.nextRefresh();
      if (channel !== undefined) candidates.push(channel);
    }
    return candidates.length === 0 ? undefined : Math.min(...candidates);
  }

  /** The next event, or undefined when none is queued. */
  pollEvent(): TurnEvent | undefined {
    return this.events.shift();
  }

  // ---- requests -------------------------------------------------------------------------------

  private request(spec: RequestSpec, now: number, staleRetries: number): void {
    const authenticated = this.auth.ready;
    const bytes = this.buildRequest(spec, authenticated);
    this.startTransaction({ spec, authenticated, staleRetries, bytes }, now);
  }

  /**
   * Every transaction may run until `deadline` ms after the server was last heard from: a silent server is
   * reported within the deadline, while a lossy path that still delivers something keeps retrying.
   */
  private startTransaction(pending: Pending, now: number): void {
    const budget = Math.min(
      this.opts.deadline,
      Math.max(this.opts.rto, this.lastHeard + this.opts.deadline - now),
    );
    this.transactions.start(pending.bytes, this.serverAddress, now, { timeout: budget, context: pending });
    this.pullTransactionTransmits();
  }

  private buildRequest(spec: RequestSpec, authenticated: boolean): Uint8Array {
    const method =
      spec.kind === 'allocate'
        ? StunMethod.Allocate
        : spec.kind === 'refresh'
          ? StunMethod.Refresh
          : spec.kind === 'permission'
            ? StunMethod.CreatePermission
            : StunMethod.ChannelBind;
    const b = new StunMessageBuilder('request', method, this.randomBytes(12));
    switch (spec.kind) {
      case 'allocate':
        // RFC 8656 §7.1: REQUESTED-TRANSPORT is mandatory; UDP is the only relayed transport here.
        b.add('REQUESTED_TRANSPORT', REQUESTED_TRANSPORT_UDP);
        b.add('LIFETIME', this.opts.lifetime);
        if (this.opts.requestedAddressFamily === 'IPv6') b.add('REQUESTED_ADDRESS_FAMILY', 'IPv6');
        if (this.opts.dontFragment) b.add('DONT_FRAGMENT', true);
        break;
      case 'refresh':
        b.add('LIFETIME', spec.lifetime);
        break;
      case 'permission':
        for (const peer of spec.peers) b.add('XOR_PEER_ADDRESS', { ...peer, port: 0 });
        break;
      case 'channel':
        b.add('CHANNEL_NUMBER', spec.channel);
        b.add('XOR_PEER_ADDRESS', spec.peer);
        break;
    }
    if (this.opts.software) b.add('SOFTWARE', this.opts.software);
    return authenticated ? this.auth.sign(b) : b.build();
  }

  private sendRefresh(now: number): void {
    this.probeInFlight = true;
    this.stats.refreshes++;
    this.request({ kind: 'refresh', lifetime: this.opts.lifetime }, now, 0);
  }

  private ensurePermission(peer: TransportAddress, now: number): Permission {
    // Per datagram sent: the lookup alone, no allocation, when the permission exists.
    const existing = this.permissions.get(peer);
    if (existing) return existing;
    const { permission, created } = this.permissions.ensure(peer);
    if (created && this.stateValue === 'allocated') this.requestPermission(permission, now);
    return permission;
  }

  private requestPermission(p: Permission, now: number): void {
    p.inFlight = true;
    this.request({ kind: 'permission', peers: [p.peer] }, now, 0);
  }

  private ensureChannel(peer: TransportAddress, now: number): Channel | undefined {
    const existing = this.channels.forPeer(peer);
    if (existing) return existing;
    const ensured = this.channels.ensure(peer);
    if (!ensured) return undefined; // all numbers used: Send indications only
    if (ensured.created && this.stateValue === 'allocated') this.requestChannel(ensured.channel, now);
    return ensured.channel;
  }

  private requestChannel(c: Channel, now: number): void {
    c.inFlight = true;
    this.request({ kind: 'channel', peer: c.peer, channel: c.number }, now, 0);
  }

  private sendIndication(data: Uint8Array, peer: TransportAddress): Uint8Array {
    // RFC 8656 §10.1: Send indication with XOR-PEER-ADDRESS and DATA, no authentication.
    return new StunMessageBuilder('indication', StunMethod.Send, this.randomBytes(12))
      .add('XOR_PEER_ADDRESS', peer)
      .add('DATA', data)
      .build();
  }

  private transmit(data: Uint8Array): void {
    this.pullTransactionTransmits();
    this.transmits.push({ data, destination: this.serverAddress });
  }

  private pullTransactionTransmits(): void {
    for (let t = this.transactions.pollTransmit(); t; t = this.transactions.pollTransmit()) {
      this.transmits.push({ data: t.data, destination: t.destination });
    }
  }

  private cancelAll(): void {
    this.transactions.cancelAll();
    this.probeInFlight = false;
    this.stats.dropped += this.permissions.clear();
    this.channels.clear();
  }

  private fail(error: TurnError): void {
    if (this.stateValue === 'failed' || this.stateValue === 'closed') return;
    this.cancelAll();
    this.stateValue = 'failed';
    this.events.push({ type: 'failed', error });
  }

  // ---- responses ------------------------------------------------------------------------------

  private drainTransactionEvents(now: number): void {
    for (let e = this.transactions.pollEvent(); e; e = this.transactions.pollEvent()) {
      const pending = e.context;
      if (!pending) continue;
      if (e.type === 'timeout') this.onTimeout(pending, now);
      else this.onResponse(pending, e.message, now);
    }
    this.pullTransactionTransmits();
  }

  private onTimeout(pending: Pending, now: number): void {
    if (this.stateValue === 'closing') {
      this.finishClose();
      return;
    }
    if (now - this.lastHeard < this.opts.deadline - this.opts.rto) {
      // Heard from the server since this request started: the path is lossy, not dead. Same bytes, same
      // transaction id, so a server that already acted on it answers as for a retransmission (RFC 8656 §7.2).
      this.startTransaction(pending, now);
      return;
    }
    this.fail(
      new TurnError(
        'server-unreachable',
        `TURN server ${formatTransportAddress(this.serverAddress)} did not answer within ${this.opts.deadline} ms: check that it is running and reachable`,
      ),
    );
  }

  private finishClose(): void {
    if (this.stateValue !== 'closing') return;
    this.stateValue = 'closed';
    this.events.push({ type: 'closed' });
  }

  private onResponse(pending: Pending, message: StunMessage, now: number): void {
    const { spec } = pending;
    if (message.class === 'error') {
      const errorCode = safeGet(message, 'ERROR_CODE');
      if (!errorCode) {
        this.stats.malformed++;
        this.protocolFailure(spec, 'an error response without ERROR-CODE');
        return;
      }
      this.onErrorResponse(pending, message, errorCode.code, errorCode.reason, now);
      return;
    }
    switch (spec.kind) {
      case 'allocate':
        this.onAllocateSuccess(message, now);
        return;
      case 'refresh':
        if (spec.lifetime === 0) {
          this.finishClose();
          return;
        }
        this.probeInFlight = false;
        this.setLifetime(safeGet(message, 'LIFETIME') ?? this.grantedLifetime, now);
        this.events.push({ type: 'refreshed', lifetime: this.grantedLifetime });
        return;
      case 'permission':
        for (const peer of spec.peers) this.onPermissionInstalled(peer, now);
        return;
      case 'channel':
        this.onChannelBound(spec.peer, spec.channel, now);
        return;
    }
  }

  private onErrorResponse(pending: Pending, message: StunMessage, code: number, reason: string, now: number) {
    const { spec } = pending;
    if (this.stateValue === 'closing' && !(spec.kind === 'refresh' && spec.lifetime === 0)) {
      // closed while allocating: no allocation was made
      if (spec.kind === 'allocate') this.finishClose();
      return;
    }
    // RFC 8489 §9.2.3 / §9.2.5: 401 and 438 are the long-term credential mechanism's.
    const challenge = this.auth.onErrorResponse(code, message, pending);
    switch (challenge.action) {
      case 'retry':
        this.request(spec, now, challenge.staleRetries);
        return;
      case 'malformed':
        this.stats.malformed++;
        this.protocolFailure(spec, challenge.what);
        return;
      case 'fail':
        if (challenge.fromServer) this.stats.malformed++;
        this.fail(challenge.error);
        return;
      case 'none':
        break;
    }
    if (code === 300 && spec.kind === 'allocate') {
      const alternate = safeGet(message, 'ALTERNATE_SERVER');
      if (this.redirected || !alternate) {
        this.fail(
          new TurnError(
            'redirect-loop',
            'TURN server redirected the client more than once (300): configure the final server directly',
            { status: 300 },
          ),
        );
        return;
      }
      // RFC 8656 §7.4 / RFC 8489 §10: try the alternate server once, starting over without credentials.
      this.redirected = true;
      this.serverAddress = alternate;
      this.auth.reset();
      this.events.push({ type: 'redirected', server: alternate });
      this.request({ kind: 'allocate' }, now, 0);
      return;
    }
    const error = turnErrorFromStatus(code, reason);
    switch (spec.kind) {
      case 'allocate':
        this.fail(error);
        return;
      case 'refresh':
        if (spec.lifetime === 0) {
          this.finishClose();
          return;
        }
        this.fail(error);
        return;
      case 'permission':
      case 'channel':
        if (code === 437 || code === 401 || code === 441) {
          this.fail(error);
          return;
        }
        this.onRequestRefused(spec, error);
        return;
    }
  }

  private onRequestRefused(spec: RequestSpec, error: TurnError): void {
    if (spec.kind === 'permission') {
      for (const peer of spec.peers) {
        const p = this.permissions.delete(peer);
        if (!p) continue;
        this.stats.dropped += p.queue.length;
        this.channels.deleteForAddress(peer.address);
        this.events.push({ type: 'warning', error, peer: p.peer });
      }
    } else if (spec.kind === 'channel') {
      // Keep using Send indications to this peer; the channel number is not reused.
      this.channels.refused(spec.channel);
      this.events.push({ type: 'warning', error, peer: spec.peer });
    }
  }

  private protocolFailure(spec: RequestSpec, what: string): void {
    const error = new TurnError(
      'protocol',
      `TURN server sent ${what}: the server is not a working TURN server`,
    );
    if (spec.kind === 'allocate' || spec.kind === 'refresh') this.fail(error);
    else this.onRequestRefused(spec, error);
  }

  private onAllocateSuccess(message: StunMessage, now: number): void {
    if (this.stateValue === 'closing') {
      this.request({ kind: 'refresh', lifetime: 0 }, now, 0);
      return;
    }
    if (this.stateValue !== 'allocating') return;
    const relayed = safeGet(message, 'XOR_RELAYED_ADDRESS');
    if (!relayed) {
      this.stats.malformed++;
      this.protocolFailure({ kind: 'allocate' }, 'an Allocate success without XOR-RELAYED-ADDRESS');
      return;
    }
    this.relayed = relayed;
    this.mapped = safeGet(message, 'XOR_MAPPED_ADDRESS');
    this.stateValue = 'allocated';
    this.setLifetime(safeGet(message, 'LIFETIME') ?? this.opts.lifetime, now);
    this.events.push({
      type: 'allocated',
      relayedAddress: relayed,
      mappedAddress: this.mapped,
      lifetime: this.grantedLifetime,
    });
    // Permissions and channels asked for while allocating.
    for (const p of this.permissions.values()) if (!p.inFlight) this.requestPermission(p, now);
    for (const c of this.channels.values()) if (!c.inFlight) this.requestChannel(c, now);
  }

  private setLifetime(seconds: number, now: number): void {
    this.grantedLifetime = seconds;
    const ms = seconds * 1000;
    // RFC 8656 §8: refresh before expiry; a minute early, or halfway for short lifetimes.
    this.refreshAt = now + Math.max(ms - 60_000, ms / 2);
  }

  private onPermissionInstalled(peer: TransportAddress, now: number): void {
    const installed = this.permissions.installed(peer, now);
    if (!installed) return;
    if (installed.first) this.events.push({ type: 'permission', peer: installed.permission.peer });
    this.flushQueue(installed.permission);
  }

  private onChannelBound(peer: TransportAddress, channel: number, now: number): void {
    const bound = this.channels.bound(channel, peer, now);
    if (!bound) return;
    // RFC 8656 §12.2: a successful ChannelBind also installs or refreshes the permission for the peer.
    const p = this.permissions.get(peer);
    if (p && !p.installed) this.onPermissionInstalled(peer, now);
    else if (p) this.permissions.extend(p, now);
    if (bound.first) this.events.push({ type: 'channel', peer, channel });
    if (p) this.flushQueue(p);
  }

  private flushQueue(p: Permission): void {
    for (const item of this.permissions.takeQueue(p)) {
      const c = this.channels.forPeer(item.peer);
      if (c?.bound) this.transmit(encodeChannelData(c.number, item.data, { pad: this.reliable }));
      else this.transmit(this.sendIndication(item.data, item.peer));
    }
  }

  // ---- data from peers ------------------------------------------------------------------------

  private onChannelData(bytes: Uint8Array, now: number): void {
    let frame: { channel: number; data: Uint8Array };
    try {
      frame = decodeChannelData(bytes);
    } catch {
      this.stats.malformed++;
      return;
    }
    const c = this.channels.deliverable(frame.channel, now);
    // RFC 8656 §12.6: ChannelData on a channel not bound is discarded.
    if (this.stateValue !== 'allocated' || !c) {
      this.stats.noPermission++;
      return;
    }
    this.events.push({ type: 'data', data: frame.data, peer: c.peer, channel: c.number });
  }

  private onDataIndication(message: StunMessage, now: number): void {
    const peer = safeGet(message, 'XOR_PEER_ADDRESS');
    if (message.has('ICMP') && !message.has('DATA')) {
      // RFC 8656 §11.6: an ICMP report from the relay, not data; nothing to deliver.
      this.stats.icmp++;
      return;
    }
    const data = safeGet(message, 'DATA');
    // RFC 8656 §11.6 (client): a Data indication without both attributes is discarded.
    if (!peer || !data) {
      this.stats.malformed++;
      return;
    }
    if (this.stateValue !== 'allocated' || !this.permissions.allows(peer, now)) {
      this.stats.noPermission++;
      return;
    }
    this.events.push({ type: 'data', data, peer, channel: undefined });
  }
}
