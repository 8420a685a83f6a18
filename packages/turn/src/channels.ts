// The client's channel table (RFC 8656 §12): a channel number 0x4000-0x4FFF bound to one peer
// transport address, valid 10 minutes and rebound before that. Numbers are never reused.
import { formatTransportAddress, sameTransportAddress, type TransportAddress } from '@p2pcat/stun/core';

/** RFC 8656 §12: a channel binding lasts 10 minutes; rebind two minutes early. */
export const CHANNEL_LIFETIME = 600_000;
export const CHANNEL_REFRESH = 480_000;
/** RFC 8656 §12: channel numbers 0x4000 through 0x4FFF. */
export const CHANNEL_MIN = 0x4000;
export const CHANNEL_MAX = 0x4fff;

/** One channel binding. */
export interface Channel {
  /** The peer transport address the channel is bound to. */
  readonly peer: TransportAddress;
  /** The channel number (0x4000-0x4FFF). */
  readonly number: number;
  /** The server confirmed the binding. */
  bound: boolean;
  /** ms after which the server forgets it unless rebound. */
  expiresAt: number;
  /** ms at which to send the refreshing ChannelBind. */
  refreshAt: number;
  /** A ChannelBind for it is in flight. */
  inFlight: boolean;
}

/** The channels of one allocation, by peer and by number. */
export class ChannelTable {
  private readonly byPeer = new Map<string, Channel>();
  private readonly byNumber = new Map<number, Channel>();
  private nextNumber = CHANNEL_MIN;

  /** The channel for this peer, if one was asked for. */
  forPeer(peer: TransportAddress): Channel | undefined {
    return this.byPeer.get(formatTransportAddress(peer));
  }

  /** The channel with this number, if any. */
  withNumber(channel: number): Channel | undefined {
    return this.byNumber.get(channel);
  }

  /**
   * The channel for this peer, taking the next unused number when new (`created`); undefined when
   * all 4096 numbers are used (the peer is then reached with Send indications).
   */
  ensure(peer: TransportAddress): { channel: Channel; created: boolean } | undefined {
    const existing = this.byPeer.get(formatTransportAddress(peer));
    if (existing) return { channel: existing, created: false };
    if (this.nextNumber > CHANNEL_MAX) return undefined;
    const channel: Channel = {
      peer,
      number: this.nextNumber++,
      bound: false,
      expiresAt: 0,
      refreshAt: Number.POSITIVE_INFINITY,
      inFlight: false,
    };
    this.byPeer.set(formatTransportAddress(peer), channel);
    this.byNumber.set(channel.number, channel);
    return { channel, created: true };
  }

  /**
   * The server bound (or rebound) `channel` to `peer` at `now`. Returns it and whether it is newly
   * bound, or undefined when the number is unknown or belongs to another peer.
   */
  bound(
    channel: number,
    peer: TransportAddress,
    now: number,
  ): { channel: Channel; first: boolean } | undefined {
    const c = this.byNumber.get(channel);
    if (!c || !sameTransportAddress(c.peer, peer)) return undefined;
    const first = !c.bound;
    c.bound = true;
    c.inFlight = false;
    c.expiresAt = now + CHANNEL_LIFETIME;
    c.refreshAt = now + CHANNEL_REFRESH;
    return { channel: c, first };
  }

  /** The server refused the ChannelBind: the peer keeps Send indications; the number is not reused. */
  refused(channel: number): void {
    const c = this.byNumber.get(channel);
    if (!c) return;
    c.inFlight = false;
    c.bound = false;
    c.refreshAt = Number.POSITIVE_INFINITY;
  }

  /** Whether ChannelData on this number is to be delivered at `now` (bound and not expired, RFC 8656 §12.6). */
  deliverable(channel: number, now: number): Channel | undefined {
    const c = this.byNumber.get(channel);
    return c?.bound && now < c.expiresAt ? c : undefined;
  }

  /** Forgets the channels to any port of this IP address (its permission is gone). */
  deleteForAddress(ip: string): void {
    for (const [k, c] of this.byPeer) {
      if (c.peer.address === ip) {
        this.byPeer.delete(k);
        this.byNumber.delete(c.number);
      }
    }
  }

  /** Forgets every channel (numbers already used stay used). */
  clear(): void {
    this.byPeer.clear();
    this.byNumber.clear();
  }

  /** Every channel, in the order they were asked for. */
  values(): IterableIterator<Channel> {
    return this.byPeer.values();
  }

  /** The bound channels whose rebind is due at `now` and not already in flight. */
  *due(now: number): Generator<Channel> {
    for (const c of this.byPeer.values()) if (c.bound && !c.inFlight && now >= c.refreshAt) yield c;
  }

  /** The earliest rebind time among bound channels not in flight, or undefined. */
  nextRefresh(): number | undefined {
    let next: number | undefined;
    for (const c of this.byPeer.values())
      if (c.bound && !c.inFlight && (next === undefined || c.refreshAt < next)) next = c.refreshAt;
    return next;
  }
}
