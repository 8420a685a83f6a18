// A scripted in-memory TURN server for unit tests of the sans-IO core: long-term credentials, nonces,
// allocations, permissions and channels, with knobs to misbehave (stale nonce, redirect, silence, 437).
import {
  decodeChannelData,
  decodeStunMessage,
  demultiplex,
  encodeChannelData,
  longTermKey,
  type StunMessage,
  StunMessageBuilder,
  StunMethod,
  type TransportAddress,
  userhash,
  verifyMessageIntegrity,
} from '@p2pcat/stun';
import type { TurnAllocation } from '../src/allocation.js';

export const SERVER: TransportAddress = { family: 'IPv4', address: '192.0.2.1', port: 3478 };
export const ALTERNATE: TransportAddress = { family: 'IPv4', address: '192.0.2.2', port: 3478 };
export const CLIENT_REFLEXIVE: TransportAddress = { family: 'IPv4', address: '198.51.100.7', port: 40000 };
export const RELAYED: TransportAddress = { family: 'IPv4', address: '192.0.2.1', port: 50000 };

export interface FakeServerOptions {
  address?: TransportAddress;
  username?: string;
  password?: string;
  realm?: string;
  /** answer this many authenticated requests with 438 before accepting */
  staleNonces?: number;
  /** answer the first Allocate with 300 to this address */
  redirectTo?: TransportAddress;
  /** RFC 8489 nonce cookie with both security features and PASSWORD-ALGORITHMS [SHA-256, MD5] */
  securityFeatures?: boolean;
  lifetime?: number;
  /** error code for a given method instead of success */
  errorFor?: Partial<Record<number, number>>;
}

export interface Received {
  message: StunMessage;
  at: number;
}

export class FakeTurnServer {
  readonly address: TransportAddress;
  silent = false;
  /** forget the allocation (a restart): later requests get 437 */
  lostAllocation = false;
  readonly requests: Received[] = [];
  readonly indications: Received[] = [];
  readonly channelData: { channel: number; data: Uint8Array; at: number }[] = [];
  readonly permissions = new Set<string>();
  readonly channels = new Map<number, TransportAddress>();
  allocated = false;
  deleted = false;
  private nonceCounter = 0;
  private nonce: string;
  private staleLeft: number;
  private redirected = false;

  constructor(private readonly o: FakeServerOptions = {}) {
    this.address = o.address ?? SERVER;
    this.staleLeft = o.staleNonces ?? 0;
    this.nonce = this.freshNonce();
  }

  get realm(): string {
    return this.o.realm ?? 'example.org';
  }

  private freshNonce(): string {
    this.nonceCounter++;
    // "obMatJos2" + base64 of 0xC00000 (password algorithms + username anonymity)
    return this.o.securityFeatures
      ? `obMatJos2wAAA-nonce-${this.nonceCounter}`
      : `nonce-${this.nonceCounter}`;
  }

  private key(): Uint8Array {
    return longTermKey(
      this.o.username ?? 'user',
      this.realm,
      this.o.password ?? 'pass',
      this.o.securityFeatures ? 'SHA-256' : 'MD5',
    );
  }

  /** Handles one datagram from the client; returns the datagrams to send back. */
  handle(bytes: Uint8Array, now: number): Uint8Array[] {
    if (this.silent) return [];
    const kind = demultiplex(bytes);
    if (kind === 'channel-data') {
      const f = decodeChannelData(bytes);
      this.channelData.push({ ...f, at: now });
      return [];
    }
    const m = decodeStunMessage(bytes);
    if (m.class === 'indication') {
      this.indications.push({ message: m, at: now });
      return [];
    }
    this.requests.push({ message: m, at: now });
    return [this.respond(m)];
  }

  private challenge(m: StunMessage, code: 401 | 438): Uint8Array {
    const b = new StunMessageBuilder('error', m.method, m.transactionId)
      .add('ERROR_CODE', { code, reason: code === 401 ? 'Unauthorized' : 'Stale Nonce' })
      .add('REALM', this.realm)
      .add('NONCE', this.nonce);
    if (this.o.securityFeatures)
      b.add('PASSWORD_ALGORITHMS', [
        { algorithm: 2, parameters: new Uint8Array(0) },
        { algorithm: 1, parameters: new Uint8Array(0) },
      ]);
    return b.build();
  }

  private error(m: StunMessage, code: number, extra?: (b: StunMessageBuilder) => void): Uint8Array {
    const b = new StunMessageBuilder('error', m.method, m.transactionId).add('ERROR_CODE', {
      code,
      reason: `error ${code}`,
    });
    extra?.(b);
    return b.build({ integrityKey: this.key(), integrity: this.o.securityFeatures ? 'sha256' : 'sha1' });
  }

  private success(m: StunMessage, fill: (b: StunMessageBuilder) => void): Uint8Array {
    const b = new StunMessageBuilder('success', m.method, m.transactionId);
    fill(b);
    return b.build({ integrityKey: this.key(), integrity: this.o.securityFeatures ? 'sha256' : 'sha1' });
  }

  private respond(m: StunMessage): Uint8Array {
    if (m.method === StunMethod.Allocate && this.o.redirectTo && !this.redirected) {
      this.redirected = true;
      return new StunMessageBuilder('error', m.method, m.transactionId)
        .add('ERROR_CODE', { code: 300, reason: 'Try Alternate' })
        .add('ALTERNATE_SERVER', this.o.redirectTo)
        .build();
    }
    if (!m.has('MESSAGE_INTEGRITY') && !m.has('MESSAGE_INTEGRITY_SHA256')) return this.challenge(m, 401);
    if (this.o.securityFeatures) {
      const uh = m.get('USERHASH');
      const expected = userhash(this.o.username ?? 'user', this.realm);
      if (!uh || Buffer.compare(Buffer.from(uh), Buffer.from(expected)) !== 0) return this.challenge(m, 401);
      if (m.get('PASSWORD_ALGORITHM')?.algorithm !== 2) return this.error(m, 400);
      if (!m.has('MESSAGE_INTEGRITY_SHA256')) return this.error(m, 400);
    } else if (m.get('USERNAME') !== (this.o.username ?? 'user')) {
      return this.challenge(m, 401);
    }
    if (!verifyMessageIntegrity(m, this.key())) return this.challenge(m, 401);
    if (m.get('NONCE') !== this.nonce) return this.challenge(m, 438);
    if (this.staleLeft > 0) {
      this.staleLeft--;
      this.nonce = this.freshNonce();
      return this.challenge(m, 438);
    }
    const forced = this.o.errorFor?.[m.method];
    if (forced !== undefined) return this.error(m, forced);
    if (m.method !== StunMethod.Allocate && (this.lostAllocation || !this.allocated))
      return this.error(m, 437);
    switch (m.method) {
      case StunMethod.Allocate:
        this.allocated = true;
        return this.success(m, (b) =>
          b
            .add('XOR_RELAYED_ADDRESS', RELAYED)
            .add('XOR_MAPPED_ADDRESS', CLIENT_REFLEXIVE)
            .add('LIFETIME', this.o.lifetime ?? m.get('LIFETIME') ?? 600),
        );
      case StunMethod.Refresh: {
        const lifetime = m.get('LIFETIME') ?? 600;
        if (lifetime === 0) {
          this.allocated = false;
          this.deleted = true;
        }
        return this.success(m, (b) => b.add('LIFETIME', lifetime === 0 ? 0 : (this.o.lifetime ?? lifetime)));
      }
      case StunMethod.CreatePermission:
        for (const p of m.getAll('XOR_PEER_ADDRESS')) this.permissions.add(p.address);
        return this.success(m, () => {});
      case StunMethod.ChannelBind: {
        const channel = m.get('CHANNEL_NUMBER');
        const peer = m.get('XOR_PEER_ADDRESS');
        if (channel === undefined || !peer) return this.error(m, 400);
        this.channels.set(channel, peer);
        this.permissions.add(peer.address);
        return this.success(m, () => {});
      }
      default:
        return this.error(m, 400);
    }
  }

  /** A Data indication as the server relays it from `peer`. */
  dataIndication(peer: TransportAddress, data: Uint8Array): Uint8Array {
    return new StunMessageBuilder('indication', StunMethod.Data)
      .add('XOR_PEER_ADDRESS', peer)
      .add('DATA', data)
      .build();
  }

  channelDataFrom(peer: TransportAddress, data: Uint8Array): Uint8Array {
    for (const [n, p] of this.channels)
      if (p.address === peer.address && p.port === peer.port) {
        return encodeChannelData(n, data);
      }
    throw new Error('no channel for that peer');
  }

  count(method: number, predicate: (m: StunMessage) => boolean = () => true): number {
    return this.requests.filter((r) => r.message.method === method && predicate(r.message)).length;
  }
}

/** Runs client and server(s) against each other on a simulated clock until `until` (ms). */
export class Simulation {
  now = 0;
  constructor(
    readonly client: TurnAllocation,
    readonly servers: FakeTurnServer[],
  ) {}

  /** Delivers everything queued, then advances the clock to each timeout up to `until`. */
  runUntil(until: number): void {
    this.flush();
    for (let i = 0; i < 1_000_000; i++) {
      const t = this.client.pollTimeout();
      if (t === undefined || t > until) break;
      this.now = Math.max(this.now, t);
      this.client.handleTimeout(this.now);
      this.flush();
    }
    this.now = Math.max(this.now, until);
  }

  flush(): void {
    for (let i = 0; i < 100_000; i++) {
      const t = this.client.pollTransmit();
      if (!t) return;
      const server = this.servers.find(
        (s) => s.address.address === t.destination.address && s.address.port === t.destination.port,
      );
      if (!server) continue;
      for (const reply of server.handle(t.data, this.now))
        this.client.handleInput(reply, server.address, this.now);
    }
  }

  events(): ReturnType<TurnAllocation['pollEvent']>[] {
    const out = [];
    for (let e = this.client.pollEvent(); e; e = this.client.pollEvent()) out.push(e);
    return out;
  }
}

/** A seeded network between client and server: loss, duplication and random delay (so reordering). */
export class LossySimulation {
  now = 0;
  private rng: number;
  private inFlight: { at: number; toServer: boolean; data: Uint8Array; seq: number }[] = [];
  private seq = 0;
  constructor(
    readonly client: TurnAllocation,
    readonly server: FakeTurnServer,
    seed: number,
    readonly loss = 0.2,
    readonly duplicate = 0.1,
  ) {
    this.rng = seed >>> 0 || 1;
  }

  private random(): number {
    // xorshift32
    let x = this.rng;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.rng = x;
    return x / 0x1_0000_0000;
  }

  private put(data: Uint8Array, toServer: boolean): void {
    const copies = this.random() < this.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (this.random() < this.loss) continue;
      this.inFlight.push({
        at: this.now + 5 + Math.floor(this.random() * 100),
        toServer,
        data,
        seq: this.seq++,
      });
    }
  }

  private drainClient(): void {
    for (let t = this.client.pollTransmit(); t; t = this.client.pollTransmit()) this.put(t.data, true);
  }

  runUntil(until: number): void {
    this.drainClient();
    for (let i = 0; i < 1_000_000; i++) {
      this.inFlight.sort((x, y) => x.at - y.at || x.seq - y.seq);
      const next = this.inFlight[0]?.at ?? Number.POSITIVE_INFINITY;
      const timeout = this.client.pollTimeout() ?? Number.POSITIVE_INFINITY;
      const at = Math.min(next, timeout);
      if (at > until) break;
      this.now = Math.max(this.now, at);
      if (next <= timeout) {
        const p = this.inFlight.shift()!;
        if (p.toServer) for (const r of this.server.handle(p.data, this.now)) this.put(r, false);
        else this.client.handleInput(p.data, this.server.address, this.now);
      } else {
        this.client.handleTimeout(this.now);
      }
      this.drainClient();
    }
    this.now = Math.max(this.now, until);
  }

  /** Server-side injection (a Data indication or ChannelData from a peer) through the lossy path. */
  fromServer(data: Uint8Array): void {
    this.put(data, false);
  }
}
