// Gathering (RFC 8445 §5.1.1): host candidates at once, then server-reflexive (STUN), relayed
// (TURN) and port-mapped (PCP / NAT-PMP / UPnP-IGD) candidates as each source answers, trickled
// (RFC 8838) as they are found and ended by an end-of-candidates. Each source has its own
// deadline and the whole gathering a bounded one: an unreachable server costs its deadline only.
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { networkInterfaces as osNetworkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ConnectionOptions } from 'node:tls';
import {
  formatHostPort,
  resolveServerAddresses,
  type ServerLookup,
  ServerNameError,
  StunClient,
  systemLookup,
  type TransportAddress,
  type TypedEventEmitter,
} from '@p2pcat/stun';
import { TurnError, TurnSocket, type TurnSocketOptions } from '@p2pcat/turn';
import { isDoubleNatAddress, mapPort, type PortMapping } from '@p2pcat/upnp';
import type { Candidate, CandidateBase, CandidateType } from '../candidate.js';
import { GatherError, type GatherErrorCode } from '../errors.js';
import { computeFoundation } from '../foundation.js';
import {
  defaultRouteInterface,
  type InterfaceOptions,
  type LocalAddress,
  listLocalAddresses,
  type NetworkInterfaces,
  readIpv6Flags,
} from '../interfaces.js';
import {
  candidatePriority,
  localPreferences,
  PORT_MAPPED_BONUS,
  RELAY_TRANSPORT_PENALTY,
} from '../priority.js';
import { findRedundant } from '../redundancy.js';
import { parseStunServer, parseTurnServer, redactUrl, type TurnServerUrl } from '../server-url.js';
import { HostBase } from './host-base.js';
import { RelayBase } from './relay-base.js';

/** Options of `gatherCandidates`: where to gather, and which servers to ask. */
export interface GatherOptions extends InterfaceOptions {
  /** "host:port" or "stun:host:port" */
  stunServers?: string[];
  /** "turn:USER:PASS@host:port[?transport=tcp]" or "turns:USER:PASS@host:port" */
  turnServers?: string[];
  /** map a port on the home router (PCP, NAT-PMP, UPnP-IGD); default true */
  portMapping?: boolean;
  /** bind host sockets in this port range (inclusive); default ephemeral ports */
  portRange?: {
    /** The lowest port. */
    min: number;
    /** The highest port. */
    max: number;
  };
  /** bind every host socket to this port (tests, firewalls with one open port) */
  port?: number;
  /** ms for the whole gathering; default 3000 */
  timeout?: number;
  /** ms for each STUN server; default 2000 */
  stunTimeout?: number;
  /** ms for each TURN server; default 3000 */
  turnTimeout?: number;
  /** ms for the port mapping; default 2000 */
  portMappingTimeout?: number;
  /** TLS options for turns: servers (ca, servername, rejectUnauthorized) */
  turnTls?: ConnectionOptions;
  /** component ID of the candidates; default 1 */
  component?: number;
  /** Aborts gathering; what was found stays, and gathering completes. */
  signal?: AbortSignal;
}

/** Injectable for tests; the defaults use the real system. */
export interface GatherDependencies {
  /** The local network adapters (`os.networkInterfaces`). */
  networkInterfaces: () => NetworkInterfaces;
  /** Flags of each IPv6 address (`/proc/net/if_inet6`), to skip temporary and deprecated ones. */
  ipv6Flags: () => Map<string, number>;
  /** The adapter of the IPv4 default route: the base that asks STUN and TURN servers is taken on it. */
  defaultRouteInterface: () => string | undefined;
  /** Binds a UDP socket on a local address and port. */
  bindUdp: (address: LocalAddress, port: number) => Promise<Socket>;
  /** Server names to addresses, in the shape of dns.promises.lookup(host, { all: true }). */
  lookup: ServerLookup;
  /** Maps a port on the home router (`@p2pcat/upnp`'s `mapPort`). */
  mapPort: typeof mapPort;
  /** Creates a TURN client (`@p2pcat/turn`'s `TurnSocket`). */
  createTurnSocket: (options: TurnSocketOptions) => TurnSocket;
  /** The clock, ms. */
  now: () => number;
}

/**
 * A source (a STUN or TURN server, a port-mapping protocol) that gave no candidate, and why: a
 * GatherError (`source`, one-line `message`, `code`, `cause`).
 */
export type SourceFailure = GatherError;

/** Gathering's events: each event name to the tuple of its listener's arguments. */
export interface GatheringEvents {
  /** A candidate was found (also in `candidates`). */
  candidate: [candidate: Candidate];
  /** Gathering ended (end-of-candidates, RFC 8838): no more 'candidate' events. */
  end: [];
}

// node:events' EventEmitter at run time; typed over GatheringEvents for the compiler.
const GatheringEmitter = EventEmitter as unknown as new () => TypedEventEmitter<GatheringEvents> &
  Omit<EventEmitter, keyof TypedEventEmitter<GatheringEvents>>;

const defaultDependencies: GatherDependencies = {
  networkInterfaces: () => osNetworkInterfaces(),
  ipv6Flags: () => readIpv6Flags(),
  defaultRouteInterface: () => defaultRouteInterface(),
  bindUdp: (address, port) =>
    new Promise((resolve, reject) => {
      const socket =
        address.family === 'IPv6'
          ? createSocket({ type: 'udp6', ipv6Only: true })
          : createSocket({ type: 'udp4' });
      const onError = (e: Error) => {
        socket.close();
        reject(e);
      };
      socket.once('error', onError);
      const host = address.scopeId ? `${address.address}%${address.interfaceName}` : address.address;
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve(socket);
      });
    }),
  lookup: systemLookup,
  mapPort,
  createTurnSocket: (options) => new TurnSocket(options),
  now: () => performance.now(),
};

const LOOPBACK = /^127\.|^::1$/;

/** Is a loopback address: a loopback server is asked only from a loopback base, and vice versa. */
function isLoopback(address: string): boolean {
  return LOOPBACK.test(address);
}

/** 100.64.0.0/10, RFC 6598 shared address space: the carrier's NAT (CGNAT). */
function isSharedAddressSpace(address: string): boolean {
  const m = /^100\.(\d+)\./.exec(address);
  return m !== null && Number(m[1]) >= 64 && Number(m[1]) <= 127;
}

/** Starts gathering; candidates arrive as events, through async iteration, and in `done`. */
export function gatherCandidates(
  options: GatherOptions = {},
  deps: Partial<GatherDependencies> = {},
): Gathering {
  return new Gathering(options, { ...defaultDependencies, ...deps });
}

/** What the gatherer found, before it becomes a `Candidate` (its priority and foundation are computed). */
interface NewCandidate {
  type: CandidateType;
  /** the candidate's transport address */
  address: TransportAddress;
  /** the local socket (host or relayed) the candidate sends from */
  base: CandidateBase;
  /** what found it: 'host', the server URL, or the port-mapping method */
  source: string;
  /** the related address (RFC 8445 §5.1.1.1: the base for srflx, the mapped address for relay) */
  related?: TransportAddress | undefined;
  /** the server that found it, part of the foundation (RFC 8445 §5.1.1.3) */
  serverAddress?: string | undefined;
  /** added to the interface's local preference (relay transports lower it, port mappings raise it) */
  localPrefAdjust?: number;
  /** the host address whose local preference applies (default: the host base's own address) */
  hostAddressForPref?: string | undefined;
}

/**
 * A gathering in progress: candidates are emitted as found ('candidate' events, or `for await`),
 * then 'end' (events typed by GatheringEvents).
 */
export class Gathering extends GatheringEmitter implements AsyncIterable<Candidate> {
  /** candidates found so far, in the order they were found */
  readonly candidates: Candidate[] = [];
  /** one per local address; each carries every kind of traffic of its candidates */
  readonly hostBases: HostBase[] = [];
  /** One per TURN allocation. */
  readonly relayBases: RelayBase[] = [];
  /** Port mappings made on the home router, kept alive until `close`. */
  readonly mappings: PortMapping[] = [];
  /** sources that gave nothing, and why */
  readonly failures: SourceFailure[] = [];
  /**
   * Every mapped address a STUN server reported, per base, in the order the answers came, also those
   * that gave no candidate because another server reported the same address: how the NAT maps
   * (one address for all servers, or a new port per server, and which) is read from these.
   */
  readonly reflexive: {
    /** the local address (host candidate's base) the Binding request was sent from */
    base: TransportAddress;
    /** the STUN server's URL */
    server: string;
    /** the server-reflexive address it reported (XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS) */
    mapped: TransportAddress;
  }[] = [];
  /** resolves with every candidate at end-of-candidates */
  readonly done: Promise<Candidate[]>;
  private ended = false;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly stunClients: StunClient[] = [];
  private readonly started: number;
  private localPrefs = new Map<string, number>();
  private resolveDone!: (c: Candidate[]) => void;

  constructor(
    private readonly options: GatherOptions,
    private readonly deps: GatherDependencies,
    reuse?: HostBase[],
  ) {
    super();
    this.started = deps.now();
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
    options.signal?.addEventListener('abort', () => this.abort.abort(), { once: true });
    void this.run(reuse);
  }

  /** Whether gathering has ended. */
  get isComplete(): boolean {
    return this.ended;
  }

  /** Yields each candidate, those already found first, until gathering ends. */
  async *[Symbol.asyncIterator](): AsyncIterator<Candidate> {
    let index = 0;
    while (true) {
      while (index < this.candidates.length) yield this.candidates[index++]!;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.off('candidate', wake);
          this.off('end', wake);
          resolve();
        };
        this.on('candidate', wake);
        this.on('end', wake);
      });
    }
  }

  private async run(reuse?: HostBase[]): Promise<void> {
    const timeout = this.options.timeout ?? 3000;
    const overall = setTimeout(() => this.abort.abort(), timeout);
    try {
      const addresses = listLocalAddresses(
        this.deps.networkInterfaces(),
        this.options,
        this.deps.ipv6Flags(),
      );
      this.localPrefs = localPreferences(addresses);
      const bases = reuse ?? (await this.bindAll(addresses));
      for (const base of bases) {
        this.hostBases.push(base);
        this.addCandidate({ type: 'host', address: base.local, base, source: 'host' });
      }
      const sources: Promise<void>[] = [];
      for (const url of this.options.stunServers ?? []) sources.push(this.gatherStun(url));
      for (const url of this.options.turnServers ?? []) sources.push(this.gatherTurn(url));
      if (this.options.portMapping ?? true) sources.push(this.gatherPortMapping());
      const aborted = new Promise<void>((r) =>
        this.abort.signal.addEventListener('abort', () => r(), { once: true }),
      );
      await Promise.race([Promise.allSettled(sources), aborted]);
    } catch (e) {
      this.fail('host', 'host-bind', e);
    } finally {
      clearTimeout(overall);
      this.abort.abort(); // stops any source still running past the overall deadline
      for (const c of this.stunClients) c.close();
      this.ended = true;
      this.emit('end');
      this.resolveDone(this.candidates);
    }
  }

  private async bindAll(addresses: LocalAddress[]): Promise<HostBase[]> {
    const bases: HostBase[] = [];
    for (const a of addresses) {
      try {
        const socket = await this.bindInRange(a);
        const port = socket.address().port;
        bases.push(new HostBase(socket, { family: a.family, address: a.address, port }, a.interfaceName));
      } catch (e) {
        this.fail(`host ${a.address}`, e instanceof GatherError ? e.code : 'host-bind', e);
      }
    }
    return bases;
  }

  private async bindInRange(a: LocalAddress): Promise<Socket> {
    if (this.options.port !== undefined) return this.deps.bindUdp(a, this.options.port);
    const range = this.options.portRange;
    if (!range) return this.deps.bindUdp(a, 0);
    const size = range.max - range.min + 1;
    const start = Math.floor(Math.random() * size);
    let last: unknown;
    for (let i = 0; i < size; i++) {
      try {
        return await this.deps.bindUdp(a, range.min + ((start + i) % size));
      } catch (e) {
        last = e;
      }
    }
    throw new GatherError(
      'no-free-port',
      `no free UDP port in ${range.min}-${range.max} on ${a.address}: ${(last as Error)?.message}`,
      { source: `host ${a.address}`, ...(last instanceof Error ? { cause: last } : {}) },
    );
  }

  /** Adds one candidate unless it is redundant (RFC 8445 §5.1.3); see `NewCandidate` for the fields. */
  private addCandidate(found: NewCandidate): Candidate | undefined {
    const { type, address, base, source, related, serverAddress } = found;
    const hostAddressForPref =
      found.hostAddressForPref ?? (base.kind === 'host' ? base.local.address : undefined);
    const localPrefAdjust = found.localPrefAdjust ?? 0;
    if (this.ended || this.closed) return undefined;
    const component = this.options.component ?? 1;
    const pref = Math.max(
      0,
      Math.min(65535, (this.localPrefs.get(hostAddressForPref ?? '') ?? 65535) + localPrefAdjust),
    );
    const candidate: Candidate = {
      type,
      transport: 'udp',
      component,
      family: address.family,
      address: address.address,
      port: address.port,
      priority: candidatePriority(type, pref, component),
      foundation: computeFoundation(
        type,
        base.kind === 'host' ? base.local.address : (hostAddressForPref ?? base.local.address),
        serverAddress,
        'udp',
      ),
      base,
      interfaceName: base.interfaceName,
      source,
      foundAfterMs: Math.round((this.deps.now() - this.started) * 10) / 10,
    };
    if (related) candidate.relatedAddress = related;
    // RFC 8445 §5.1.3: same transport address and base as one we have: keep only one.
    if (findRedundant(this.candidates, candidate)) return undefined;
    this.candidates.push(candidate);
    this.emit('candidate', candidate);
    return candidate;
  }

  private remaining(): number {
    return Math.max(0, (this.options.timeout ?? 3000) - (this.deps.now() - this.started));
  }

  private fail(source: string, code: GatherErrorCode, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    const cause: unknown = e instanceof GatherError ? e.cause : e instanceof Error ? e : undefined;
    this.failures.push(new GatherError(code, message, { source, ...(cause ? { cause } : {}) }));
  }

  /**
   * One resolution of a server name per gathering, bounded by the source's deadline; a name that
   * gives no address is one line in `failures` (source "STUN server x:3478", or the TURN URL
   * without its password; message "the name does not resolve (ENOTFOUND)") and undefined here.
   */
  private async resolve(
    label: 'STUN server' | 'TURN server',
    host: string,
    port: number,
    budget: number,
    source?: string,
  ): Promise<TransportAddress[] | undefined> {
    try {
      return await resolveServerAddresses(host, port, {
        lookup: this.deps.lookup,
        timeout: budget,
        signal: this.abort.signal,
        label,
      });
    } catch (e) {
      if (e instanceof ServerNameError)
        this.failures.push(
          new GatherError('server-name', e.reason, { source: source ?? e.server, cause: e }),
        );
      else this.fail(source ?? `${label} ${formatHostPort(host, port)}`, 'server-name', e);
      return undefined;
    }
  }

  private async gatherStun(url: string): Promise<void> {
    let server: ReturnType<typeof parseStunServer>;
    try {
      server = parseStunServer(url);
    } catch (e) {
      this.fail(url, 'server-url', e);
      return;
    }
    const started = this.deps.now();
    const budget = Math.min(this.options.stunTimeout ?? 2000, this.remaining());
    const addresses = await this.resolve('STUN server', server.host, server.port, budget);
    if (!addresses) return;
    const left = Math.max(0, budget - (this.deps.now() - started));
    let asked = 0;
    const jobs = this.hostBases.map(async (base) => {
      // Each socket asks the first resolved address of its own family (A for an IPv4 socket,
      // AAAA for an IPv6 one); a loopback server only from a loopback base, and vice versa.
      const target = addresses.find(
        (a) => a.family === base.local.family && isLoopback(a.address) === isLoopback(base.local.address),
      );
      if (!target) return;
      asked++;
      const client = new StunClient({ send: (d, to) => base.send(d, to) });
      this.stunClients.push(client);
      // The reply is matched against the resolved address the request went to (and its
      // transaction id), never against the name.
      const release = base.intercept((data, from) => client.handleMessage(data, from));
      try {
        const response = await client.binding(target, { timeout: left, signal: this.abort.signal });
        const mapped = response.message.get('XOR_MAPPED_ADDRESS') ?? response.message.get('MAPPED_ADDRESS');
        if (response.message.class !== 'success' || !mapped)
          throw new Error(`STUN server ${url} gave no mapped address`);
        if (!this.ended && !this.closed)
          this.reflexive.push({ base: base.local, server: server.url, mapped });
        this.addCandidate({
          type: 'srflx',
          address: mapped,
          base,
          source: server.url,
          related: base.local,
          serverAddress: target.address,
        });
      } catch (e) {
        this.fail(`${server.url} from ${base.local.address}`, 'stun', e);
      } finally {
        release();
        client.close();
      }
    });
    await Promise.allSettled(jobs);
    if (asked === 0 && !this.ended) {
      this.fail(
        `STUN server ${formatHostPort(server.host, server.port)}`,
        'no-local-address',
        new Error(
          `no local address to ask it from: it is at ${addresses.map((a) => a.address).join(', ')} and the host addresses are ${this.hostBases.map((b) => b.local.address).join(', ') || 'none'}`,
        ),
      );
    }
  }

  /** The base to reach a server from: on the default-route adapter where possible. */
  private baseFor(family: 'IPv4' | 'IPv6', serverAddress: string): HostBase | undefined {
    const loop = isLoopback(serverAddress);
    const candidates = this.hostBases.filter(
      (b) => b.local.family === family && isLoopback(b.local.address) === loop,
    );
    const route = this.deps.defaultRouteInterface();
    return candidates.find((b) => b.interfaceName === route) ?? candidates[0];
  }

  private async gatherTurn(url: string): Promise<void> {
    let server: TurnServerUrl;
    try {
      server = parseTurnServer(url);
    } catch (e) {
      this.fail(redactUrl(url), 'server-url', e);
      return;
    }
    const shown = redactUrl(server.url);
    const started = this.deps.now();
    const budget = Math.min(this.options.turnTimeout ?? 3000, this.remaining());
    // Failures of a TURN server keep its URL (without the password) as their source.
    const addresses = await this.resolve('TURN server', server.host, server.port, budget, shown);
    if (!addresses) return;
    // IPv4 first (relayed IPv4 reaches most peers), then IPv6; over UDP only the addresses a host
    // socket of the same family (and loopback-ness) can reach.
    const ordered = [...addresses].sort((a, b) => (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1));
    const targets =
      server.transport === 'udp'
        ? ordered.filter((a) => this.baseFor(a.family, a.address) !== undefined)
        : ordered;
    if (targets.length === 0) {
      const families = [...new Set(addresses.map((a) => a.family))].join(' or ');
      this.fail(
        shown,
        'no-local-address',
        new Error(`no local ${families} address to reach the TURN server from`),
      );
      return;
    }
    // A stream (TCP/TLS) that cannot connect to one address tries the next one of the name.
    for (let i = 0; i < targets.length; i++) {
      const left = Math.max(0, budget - (this.deps.now() - started));
      const last = i === targets.length - 1 || this.abort.signal.aborted;
      const outcome = await this.allocateTurn(server, shown, targets[i]!, left, last);
      if (outcome !== 'try-next') return;
    }
  }

  private async allocateTurn(
    server: TurnServerUrl,
    shown: string,
    target: TransportAddress,
    budget: number,
    last: boolean,
  ): Promise<'done' | 'try-next'> {
    const { family, address } = target;
    const base = server.transport === 'udp' ? this.baseFor(family, address) : undefined;
    // RFC 8489 §6.2.3 (which TURN over TLS follows): the client MUST verify the server's identity
    // against the domain name it was configured with (RFC 6125), not the address it resolved to:
    // SNI and checkServerIdentity get the name. An IP literal is checked as an IP (no SNI, RFC 6066 §3).
    const named = isIP(server.host) === 0;
    const turn = this.deps.createTurnSocket({
      server: target,
      transport: base
        ? { send: (d: Uint8Array, to: TransportAddress) => base.send(d, to) }
        : server.transport,
      username: server.username,
      password: server.password,
      deadline: budget,
      ...(server.transport === 'tls'
        ? { tls: { ...(named ? { servername: server.host } : {}), ...this.options.turnTls } }
        : {}),
    } as TurnSocketOptions);
    turn.on('error', () => {});
    const release = base?.intercept((data, from) => turn.handleDatagram(data, from));
    const onAbort = () => void turn.close().catch(() => {});
    this.abort.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const allocated = await turn.allocate();
      this.abort.signal.removeEventListener('abort', onAbort);
      if (this.ended || this.closed) {
        release?.();
        await turn.close().catch(() => {});
        return 'done';
      }
      const relay = new RelayBase(turn, allocated.relayedAddress, shown);
      this.relayBases.push(relay);
      // The allocation's XOR-MAPPED-ADDRESS is a server-reflexive candidate of the UDP base.
      if (base && allocated.mappedAddress) {
        this.addCandidate({
          type: 'srflx',
          address: allocated.mappedAddress,
          base,
          source: shown,
          related: base.local,
          serverAddress: address,
        });
      }
      const hostPref = base?.local.address ?? this.baseFor(family, address)?.local.address;
      this.addCandidate({
        type: 'relay',
        address: allocated.relayedAddress,
        base: relay,
        source: shown,
        related: allocated.mappedAddress,
        serverAddress: address,
        localPrefAdjust: -RELAY_TRANSPORT_PENALTY[server.transport],
        hostAddressForPref: hostPref,
      });
      return 'done';
    } catch (e) {
      this.abort.signal.removeEventListener('abort', onAbort);
      release?.();
      await turn.close().catch(() => {});
      const unreachable = e instanceof TurnError && e.code === 'server-unreachable';
      if (unreachable && !last && server.transport !== 'udp') return 'try-next';
      this.fail(shown, 'turn', e);
      return 'done';
    }
  }

  private async gatherPortMapping(): Promise<void> {
    const route = this.deps.defaultRouteInterface();
    if (route === undefined) {
      this.fail(
        'port mapping',
        'port-mapping',
        new Error('no IPv4 default route, so no router to map a port on'),
      );
      return;
    }
    const base = this.hostBases.find((b) => b.local.family === 'IPv4' && b.interfaceName === route);
    if (!base) {
      this.fail(
        'port mapping',
        'port-mapping',
        new Error(`no IPv4 address on the default-route adapter ${route}`),
      );
      return;
    }
    try {
      const mapping = await this.deps.mapPort({
        internalPort: base.local.port,
        protocol: 'udp',
        timeoutMs: Math.min(this.options.portMappingTimeout ?? 2000, this.remaining()),
        signal: this.abort.signal,
      });
      if (this.ended || this.closed) {
        await mapping.close().catch(() => {});
        return;
      }
      if (mapping.doubleNat || isDoubleNatAddress(mapping.externalAddress)) {
        // The router's own external address is private or in the carrier's shared space: another
        // NAT sits upstream, so the mapped port is not reachable from the internet. Advertising it
        // would only cost the peer connectivity checks; the mapping is released again.
        const external = mapping.externalAddress;
        const kind = isSharedAddressSpace(external)
          ? 'carrier-grade NAT'
          : /^(10|127|0)\.|^172\.(1[6-9]|2\d|3[01])\.|^192\.168\.|^169\.254\./.test(external)
            ? 'a private address'
            : 'not a public address';
        this.failures.push(
          new GatherError(
            'double-nat',
            `the router's external address ${external} is behind another NAT (${kind}): the mapped port is not reachable from the internet`,
            { source: 'port mapping' },
          ),
        );
        await mapping.close().catch(() => {});
        return;
      }
      this.mappings.push(mapping);
      this.addCandidate({
        type: 'srflx',
        address: { family: 'IPv4', address: mapping.externalAddress, port: mapping.externalPort },
        base,
        source: mapping.method,
        related: base.local,
        serverAddress: mapping.gateway,
        localPrefAdjust: PORT_MAPPED_BONUS,
      });
    } catch (e) {
      this.fail('port mapping', 'port-mapping', e);
    }
  }

  /**
   * A fresh gathering for an ICE restart: the host sockets carry over (the NAT holes stay open);
   * this gathering's relays and port mappings are released.
   */
  regather(options: Partial<GatherOptions> = {}): Gathering {
    const bases = this.hostBases.splice(0);
    void this.releaseServers();
    return new Gathering({ ...this.options, ...options }, this.deps, bases);
  }

  private async releaseServers(): Promise<void> {
    const relays = this.relayBases.splice(0);
    const mappings = this.mappings.splice(0);
    await Promise.allSettled([...relays.map((r) => r.close()), ...mappings.map((m) => m.close())]);
  }

  /** Releases every socket, TURN allocation (deleted on the server) and port mapping. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    for (const c of this.stunClients) c.close();
    await this.releaseServers();
    await Promise.allSettled(this.hostBases.splice(0).map((b) => b.close()));
  }
}
