// The client's permission table (RFC 8656 §9): one permission per peer IP address (the port does
// not matter), installed by CreatePermission or ChannelBind, valid 300 s and refreshed before that.
import type { TransportAddress } from '@p2pcat/stun/core';

/** RFC 8656 §9: a permission lasts 300 s and cannot be changed; refresh it a minute early. */
export const PERMISSION_LIFETIME = 300_000;
export const PERMISSION_REFRESH = 240_000;
/** Datagrams held per peer IP address while its permission is being installed. */
export const QUEUE_LIMIT = 256;

/** One peer IP address's permission, and the data waiting for it. */
export interface Permission {
  /** The peer, port 0: permissions are per IP address (RFC 8656 §9). */
  readonly peer: TransportAddress;
  /** The server confirmed it (CreatePermission or ChannelBind success). */
  installed: boolean;
  /** ms after which the server forgets it unless refreshed. */
  expiresAt: number;
  /** ms at which to send the refreshing CreatePermission. */
  refreshAt: number;
  /** A CreatePermission for it is in flight. */
  inFlight: boolean;
  /** Datagrams sent before it was installed, in order. */
  queue: { data: Uint8Array; peer: TransportAddress }[];
}

/** The permissions of one allocation, keyed by peer IP address. */
export class PermissionTable {
  private readonly byAddress = new Map<string, Permission>();

  /** The permission for the peer's IP address, if one was asked for. */
  get(peer: TransportAddress): Permission | undefined {
    return this.byAddress.get(peer.address);
  }

  /** The permission for the peer's IP address, created (not installed) when new: `created` says so. */
  ensure(peer: TransportAddress): { permission: Permission; created: boolean } {
    const existing = this.byAddress.get(peer.address);
    if (existing) return { permission: existing, created: false };
    const permission: Permission = {
      peer: { ...peer, port: 0 },
      installed: false,
      expiresAt: 0,
      refreshAt: Number.POSITIVE_INFINITY,
      inFlight: false,
      queue: [],
    };
    this.byAddress.set(peer.address, permission);
    return { permission, created: true };
  }

  /** Whether data from the peer's IP address is to be delivered at `now` (installed and not expired). */
  allows(peer: TransportAddress, now: number): boolean {
    const p = this.byAddress.get(peer.address);
    return p?.installed === true && now < p.expiresAt;
  }

  /**
   * The server installed (or refreshed) the permission at `now`. Returns it and whether it is newly
   * installed, or undefined when there is no such permission (anymore).
   */
  installed(peer: TransportAddress, now: number): { permission: Permission; first: boolean } | undefined {
    const p = this.byAddress.get(peer.address);
    if (!p) return undefined;
    const first = !p.installed;
    p.installed = true;
    p.inFlight = false;
    p.expiresAt = now + PERMISSION_LIFETIME;
    p.refreshAt = now + PERMISSION_REFRESH;
    return { permission: p, first };
  }

  /** RFC 8656 §12.2: a ChannelBind success refreshes an installed permission too. */
  extend(p: Permission, now: number): void {
    p.expiresAt = Math.max(p.expiresAt, now + PERMISSION_LIFETIME);
  }

  /** Appends data to the permission's queue; false (nothing queued) when the queue is full. */
  enqueue(p: Permission, data: Uint8Array, peer: TransportAddress): boolean {
    if (p.queue.length >= QUEUE_LIMIT) return false;
    p.queue.push({ data, peer });
    return true;
  }

  /** Empties the permission's queue and returns what it held, in order. */
  takeQueue(p: Permission): { data: Uint8Array; peer: TransportAddress }[] {
    const queue = p.queue;
    p.queue = [];
    return queue;
  }

  /** Forgets the permission; returns it (with its queue) when there was one. */
  delete(peer: TransportAddress): Permission | undefined {
    const p = this.byAddress.get(peer.address);
    if (p) this.byAddress.delete(peer.address);
    return p;
  }

  /** Forgets every permission; returns how many queued datagrams were dropped with them. */
  clear(): number {
    let dropped = 0;
    for (const p of this.byAddress.values()) dropped += p.queue.length;
    this.byAddress.clear();
    return dropped;
  }

  /** Every permission, in the order they were asked for. */
  values(): IterableIterator<Permission> {
    return this.byAddress.values();
  }

  /** The installed permissions whose refresh is due at `now` and not already in flight. */
  *due(now: number): Generator<Permission> {
    for (const p of this.byAddress.values()) if (p.installed && !p.inFlight && now >= p.refreshAt) yield p;
  }

  /** The earliest refresh time among installed permissions not in flight, or undefined. */
  nextRefresh(): number | undefined {
    let next: number | undefined;
    for (const p of this.byAddress.values())
      if (p.installed && !p.inFlight && (next === undefined || p.refreshAt < next)) next = p.refreshAt;
    return next;
  }
}
