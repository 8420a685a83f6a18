// A live port mapping: keeps itself renewed and deletes itself on close.
import { abortError } from '../abort.js';
import { isDoubleNatAddress } from '../address.js';
import { PortMappingError } from '../errors.js';

/** The protocol that made a mapping. */
export type PortMappingMethod = 'pcp' | 'nat-pmp' | 'upnp-igd';

/** What a port mapping is: who made it and which external address and port it opened. */
export interface PortMappingInfo {
  /** The protocol that made it. */
  method: PortMappingMethod;
  /** The transport protocol mapped. */
  protocol: 'udp' | 'tcp';
  /** The local port mapped. */
  internalPort: number;
  /** The external IPv4 address of the router. */
  externalAddress: string;
  /** The external port opened. */
  externalPort: number;
  /** seconds granted by the gateway; 0 = permanent (UPnP OnlyPermanentLeasesSupported) */
  lifetime: number;
  /** Date.now() value when the mapping lapses unless renewed; Infinity when permanent */
  expiresAt: number;
  /** the external address is private or CGNAT: a router upstream also translates */
  doubleNat: boolean;
  /** address of the device that made the mapping */
  gateway: string;
}

/** What one protocol needs to renew or delete its mapping. */
export interface MappingDriver {
  /** asks the gateway again with the same parameters; returns the new grant */
  refresh(signal?: AbortSignal): Promise<{ externalAddress: string; externalPort: number; lifetime: number }>;
  /** deletes the mapping on the gateway (within its own deadline, or until `signal` aborts) */
  remove(signal?: AbortSignal): Promise<void>;
}

export interface RenewalHooks {
  autoRenew: boolean;
  onRenew?: ((mapping: PortMapping) => void) | undefined;
  onRenewError?: ((error: Error, mapping: PortMapping) => void) | undefined;
}

/**
 * What the close of the winner of mapPort's race goes through (see race-settlement.ts): the
 * requests of the losers are settled first, and what shares the winner's rule is deleted after it.
 */
export interface CloseGuard {
  /** Waits for the losers, deletes the winner's own mapping with `removeOwn`, then what shares its rule. */
  close(removeOwn: () => Promise<void>, signal: AbortSignal | undefined): Promise<void>;
  /** The winner was forgotten: what shares its rule lapses with it. */
  forgotten(): void;
  /** The winner was closed without deleting its mapping (an abort): what shares its rule goes now. */
  closedWithoutDeleting(): void;
}

/** mapPort's handles on a mapping, kept off its public surface. */
export interface MappingInternals {
  /** deletes the mapping on the router even after `forget` (a race loser that shares the winner's rule) */
  remove(signal?: AbortSignal): Promise<void>;
  guard: CloseGuard | undefined;
}

const internals = new WeakMap<PortMapping, MappingInternals>();

/** @internal mapPort's handles on `mapping`. */
export function mappingInternals(mapping: PortMapping): MappingInternals {
  const found = internals.get(mapping);
  if (found === undefined) throw new Error('not a mapping made by mapPort');
  return found;
}

/** What a PortMapping operation that waits takes. */
export interface PortMappingOperationOptions {
  /** Stops waiting: the operation rejects with an AbortError. */
  signal?: AbortSignal;
}

/**
 * A live port mapping from `mapPort`: renews itself at half its lifetime and deletes itself on
 * close.
 */
export class PortMapping implements PortMappingInfo {
  readonly method: PortMappingMethod;
  readonly protocol: 'udp' | 'tcp';
  readonly internalPort: number;
  readonly gateway: string;
  externalAddress: string;
  externalPort: number;
  lifetime: number;
  expiresAt: number;
  doubleNat: boolean;
  private readonly driver: MappingDriver;
  private readonly hooks: RenewalHooks;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();

  /** @internal Made by `mapPort`. */
  constructor(
    info: Omit<PortMappingInfo, 'expiresAt' | 'doubleNat'>,
    driver: MappingDriver,
    hooks: RenewalHooks,
  ) {
    this.method = info.method;
    this.protocol = info.protocol;
    this.internalPort = info.internalPort;
    this.gateway = info.gateway;
    this.externalAddress = info.externalAddress;
    this.externalPort = info.externalPort;
    this.lifetime = info.lifetime;
    this.expiresAt = info.lifetime === 0 ? Number.POSITIVE_INFINITY : Date.now() + info.lifetime * 1000;
    this.doubleNat = isDoubleNatAddress(info.externalAddress);
    this.driver = driver;
    this.hooks = hooks;
    internals.set(this, {
      remove: (signal) => this.serialized(() => this.driver.remove(signal)),
      guard: undefined,
    });
    this.schedule();
  }

  /** Whether `close` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Renews now (also done automatically at half the lifetime). Rejects with a PortMappingError, or
   * an AbortError when `options.signal` aborts.
   */
  async renew(options: PortMappingOperationOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal, 'renewing the port mapping was aborted');
    if (this.closed)
      throw new PortMappingError('closed', 'port mapping already closed; call mapPort() again');
    const grant = await this.serialized(() => this.driver.refresh(signal));
    if (this.closed) return;
    this.externalAddress = grant.externalAddress;
    this.externalPort = grant.externalPort;
    this.lifetime = grant.lifetime;
    this.expiresAt = grant.lifetime === 0 ? Number.POSITIVE_INFINITY : Date.now() + grant.lifetime * 1000;
    this.doubleNat = isDoubleNatAddress(grant.externalAddress);
    this.schedule();
  }

  /**
   * Stops renewal and deletes the mapping on the gateway. Safe to call twice. Rejects with a
   * PortMappingError when the gateway refused or did not confirm the deletion within 2 s; an abort
   * of `options.signal` stops waiting (the mapping then lapses with its lifetime) with an AbortError.
   * It first waits for the requests that lost mapPort's race to be settled (answered and deleted),
   * so that once it resolves the router holds nothing from that mapPort call.
   */
  async close(options: PortMappingOperationOptions = {}): Promise<void> {
    const { signal } = options;
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const guard = internals.get(this)?.guard;
    if (signal?.aborted) {
      guard?.closedWithoutDeleting();
      throw abortError(signal, 'deleting the port mapping was aborted');
    }
    // after a renewal in flight, so that the router sees the deletion last
    const removeOwn = (): Promise<void> => this.serialized(() => this.driver.remove(signal));
    await (guard !== undefined ? guard.close(removeOwn, signal) : removeOwn());
  }

  /** Runs gateway operations one at a time (a renewal and a deletion must not interleave). */
  private serialized<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Stops renewing without deleting the mapping on the router (it lapses with its lifetime). */
  forget(): void {
    if (!this.closed) internals.get(this)?.guard?.forgotten();
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.hooks.autoRenew || this.closed || this.lifetime === 0) return;
    // RFC 6886 §3.3 and RFC 6887 §11.2.1: renew at half the remaining lifetime.
    const delay = Math.max(1000, ((this.expiresAt - Date.now()) / 2) | 0);
    this.timer = setTimeout(() => {
      this.renew().then(
        () => this.hooks.onRenew?.(this),
        (err: Error) => {
          this.hooks.onRenewError?.(err, this);
          // try again at half the time left, while some is left
          if (!this.closed && this.expiresAt - Date.now() > 2000) this.schedule();
        },
      );
    }, delay);
    this.timer.unref();
  }
}
