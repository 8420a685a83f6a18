// One call for an ICE connection with STUN, TURN and port-mapped candidates: the gather package
// gathers (trickled, RFC 8838), each candidate goes into the agent as it arrives, and the host
// sockets the gatherer bound are shared between its STUN/TURN clients and ICE (the NAT bindings
// were made for those very sockets).
import type { ConnectionOptions } from 'node:tls';
// Types only: the gather package itself is loaded by connectWithServers() (see there).
import type {
  GatherDependencies,
  Candidate as GatheredCandidate,
  Gathering,
  gatherCandidates,
  HostBase,
  RelayBase,
} from '@p2pcat/gather';
import { abortError } from '../abort.js';
import { localPreferenceOf } from '../core/candidate.js';
import { IceError } from '../errors.js';
import { IceConnection, type IceConnectionOptions } from './ice-connection.js';

/** A TURN server as an object (the WebRTC RTCIceServer shape, one URL). */
export interface TurnServerConfig {
  /** "turn:host:port[?transport=udp|tcp]" or "turns:host:port" (no user info) */
  url: string;
  /** TURN user name (long-term credential, RFC 8489 §9.2) */
  username: string;
  /** TURN password */
  credential: string;
}

/** Options of connectWithServers(): the servers, what to gather, and every IceConnection option. */
export interface ServerIceOptions extends Omit<IceConnectionOptions, 'host' | 'gatherer'> {
  /** STUN servers, "host:port" or "stun:host:port" */
  stun?: string[];
  /** TURN servers: "turn:USER:PASS@host:port[?transport=tcp]", "turns:USER:PASS@host:port", or objects */
  turn?: (string | TurnServerConfig)[];
  /** map a port on the home router (PCP, NAT-PMP, UPnP-IGD); default true, as in the gather package */
  portMapping?: boolean;
  /** default true */
  ipv4?: boolean;
  /** default true */
  ipv6?: boolean;
  /** also use loopback addresses (tests, same-machine connections); default false */
  includeLoopback?: boolean;
  /** adapters to leave out, by exact name or pattern */
  excludeInterfaces?: (string | RegExp)[];
  /** ms for the whole gathering; default 3000 */
  gatherTimeout?: number;
  /** TLS options for turns: servers (ca, servername, rejectUnauthorized) */
  turnTls?: ConnectionOptions;
  /**
   * Aborts: before connectWithServers() resolves, it rejects with an AbortError and nothing stays
   * open; afterwards, gathering stops (what was found stays, and `gathered` resolves).
   */
  signal?: AbortSignal;
}

/** TURN server object to the gather package's URL form (user info percent-encoded). */
export function turnServerUrl(server: string | TurnServerConfig): string {
  if (typeof server === 'string') return server;
  const m = /^(turns?):(.*)$/i.exec(server.url);
  if (!m) throw new IceError('bad-url', `bad TURN server URL "${server.url}": expected turn: or turns:`);
  const user = `${encodeURIComponent(server.username)}:${encodeURIComponent(server.credential)}`;
  return `${m[1]!.toLowerCase()}:${user}@${m[2]}`;
}

/**
 * An IceConnection fed by the gather package. `ice` is usable at once (candidates are added as
 * they are found; the remote description may be set before gathering ends); `gathered` resolves
 * when gathering is over and the agent was told so (endOfLocalCandidates). close() releases
 * everything in order: the gathering first (TURN allocations are deleted and port mappings removed
 * through the host sockets, which must still be open), then ICE.
 */
export class ServerIceConnection {
  /** The ICE connection the gathered candidates feed. */
  readonly ice: IceConnection;
  /** The gathering (`@p2pcat/gather`): failures, host and relay bases. */
  readonly gathering: Gathering;
  /** every gathered candidate, once gathering has ended */
  readonly gathered: Promise<GatheredCandidate[]>;
  private closing: Promise<void> | undefined;

  /** Use connectWithServers(), which loads the gather package and passes its gatherCandidates. */
  constructor(options: ServerIceOptions, deps: Partial<GatherDependencies>, gather: typeof gatherCandidates) {
    const {
      stun,
      turn,
      portMapping,
      ipv4,
      ipv6,
      includeLoopback,
      excludeInterfaces,
      gatherTimeout,
      turnTls,
      signal,
      ...iceOptions
    } = options;
    const turnServers = (turn ?? []).map(turnServerUrl);
    this.ice = new IceConnection(iceOptions);
    this.gathering = gather(
      {
        stunServers: stun ?? [],
        turnServers,
        portMapping: portMapping ?? true,
        ipv4: ipv4 ?? true,
        ipv6: ipv6 ?? true,
        includeLoopback: includeLoopback ?? false,
        ...(excludeInterfaces ? { excludeInterfaces } : {}),
        timeout: gatherTimeout ?? 3000,
        ...(turnTls ? { turnTls } : {}),
        ...(signal ? { signal } : {}),
      },
      deps,
    );
    for (const c of this.gathering.candidates) this.adopt(c);
    this.gathering.on('candidate', (c: GatheredCandidate) => this.adopt(c));
    this.gathered = this.gathering.done.then((all) => {
      // RFC 8838 §8.2: gathering is complete. With the peer's end-of-candidates and no pair, ICE
      // fails at once with no-pairs (RFC 8445 §8.1.2) instead of at the timeout.
      if (!this.closing) this.ice.endOfLocalCandidates();
      return all;
    });
    // Whoever closes the ICE connection (its transport, say) releases the gathering too.
    this.ice.on('state', (state: string) => {
      if (state === 'closed') void this.close();
    });
  }

  /** One gathered candidate into the agent. */
  private adopt(c: GatheredCandidate): void {
    if (this.closing) return;
    // The gatherer ranked the interfaces (RFC 8445 §5.1.2.1, RFC 8421): keep its local preference.
    const pref = localPreferenceOf(c.priority);
    if (c.base.kind === 'host') {
      const base = c.base as HostBase;
      if (!this.ice.hasBase(base.local)) {
        // The host candidate of a base is found before any other candidate of that base.
        this.ice.addSharedBase({
          address: base.local,
          ...(c.type === 'host' ? { localPreference: pref } : {}),
          send: (data, to) => base.send(data, to),
          socket: base.socket, // for batchSend: application data in batched system calls
          onDatagram: (handler) => base.onDatagram(handler),
        });
      }
      if (c.type === 'srflx')
        this.ice.addServerReflexive(
          { family: c.family, address: c.address, port: c.port },
          base.local,
          undefined,
          pref,
        );
      return;
    }
    if (c.type === 'relay') this.ice.addRelay((c.base as RelayBase).turn, undefined, pref);
  }

  /** Gathering first (allocations deleted, mappings removed, host sockets closed), then ICE. */
  close(): Promise<void> {
    if (!this.closing)
      this.closing = (async () => {
        await this.gathering.close();
        this.ice.close();
      })();
    return this.closing;
  }
}

/**
 * Starts gathering with the given servers and resolves with the connection its candidates feed
 * (at once: candidates trickle in afterwards; `gathered` says when gathering is over).
 *
 * The gather package is imported here, on first use, not when `@p2pcat/ice` is: it brings the
 * TURN client, port mapping (UPnP with its XML parser, PCP, NAT-PMP) and TLS, which cost an
 * application that only uses host candidates 8 MiB of RSS at start-up (50.4 -> 58.1 MiB measured
 * for `import('@p2pcat/ice')`).
 *
 * An abort of `options.signal` before it resolves rejects with an AbortError; afterwards it stops
 * gathering (see ServerIceOptions.signal).
 */
export async function connectWithServers(
  options: ServerIceOptions = {},
  deps: Partial<GatherDependencies> = {},
): Promise<ServerIceConnection> {
  const { signal } = options;
  const aborted = 'connectWithServers() was aborted';
  if (signal?.aborted) throw abortError(signal, aborted);
  const { gatherCandidates } = await import('@p2pcat/gather');
  if (signal?.aborted) throw abortError(signal, aborted);
  return new ServerIceConnection(options, deps, gatherCandidates);
}
