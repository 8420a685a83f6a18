/**
 * Retransmission schedule of one client transaction (RFC 8489 §6.2).
 *
 * Over UDP (§6.2.1) the request is sent at 0, RTO, 3·RTO, 7·RTO, ... — the interval doubles after
 * each send — Rc times in all, and after the last send the client waits Rm·RTO before it gives up.
 * With RTO = 500 ms, Rc = 7 and Rm = 16 the sends go out at 0, 500, 1500, 3500, 7500, 15500 and
 * 31500 ms and the transaction fails at 39500 ms. Over TCP or TLS (§6.2.2) the request is sent
 * once and the transaction fails after Ti (39.5 s), because the transport retransmits.
 */

export interface TransactionOptions {
  /** Initial RTO in ms, default 500. RFC 8489 §6.2.1: SHOULD be greater than 500 ms on fixed networks; it MUST be configurable. */
  rto?: number;
  /** Maximum number of requests sent over UDP, default 7 (RFC 8489 §6.2.1: Rc SHOULD be configurable). */
  rc?: number;
  /** Last wait is rm · rto, default 16 (RFC 8489 §6.2.1: Rm SHOULD be configurable). */
  rm?: number;
  /** TCP or TLS: one send, failure after ti (default 39 500 ms, RFC 8489 §6.2.2). */
  reliable?: boolean;
  /** Reliable transports only: the Ti timer in ms, default 39 500. */
  ti?: number;
  /** Overall budget in ms: caps the schedule, no send and no waiting past it. */
  timeout?: number;
  /**
   * UDP only: upper bound (ms) of every wait, between two sends and after the last one; default
   * none (Infinity). A capped schedule with a large `rc` keeps sending at a steady pace, as ICE
   * does to keep NAT bindings open while the peer is slow to answer.
   */
  maxInterval?: number;
}

export const DEFAULT_RTO = 500;
export const DEFAULT_RC = 7;
export const DEFAULT_RM = 16;
export const DEFAULT_TI = 39_500;

/** Offsets (ms after the first send) of every send, and of the failure. */
export interface Schedule {
  /** Offsets of the sends, ascending, the first 0. */
  sends: number[];
  /** Offset of the failure (no response by then). */
  failAt: number;
}

/** The whole schedule of one transaction: when each send goes out, and when it fails. */
export function computeSchedule(options: TransactionOptions = {}): Schedule {
  const budget = options.timeout;
  if (options.reliable) {
    const ti = positive(options.ti, DEFAULT_TI, 'ti');
    return { sends: [0], failAt: budget === undefined ? ti : Math.min(ti, positive(budget, 0, 'timeout')) };
  }
  const rc = Math.max(1, Math.floor(positive(options.rc, DEFAULT_RC, 'rc')));
  const sends: number[] = [];
  let at = 0;
  for (let sent = 1; sent <= rc; sent++) {
    sends.push(at);
    at += retransmissionWait(sent, options);
  }
  // RFC 8489 §6.2.1: after the last request, wait Rm times the (initial) RTO (included in `at`).
  let failAt = at;
  if (budget !== undefined) {
    failAt = Math.min(failAt, positive(budget, 0, 'timeout'));
    while (sends.length > 1 && (sends[sends.length - 1] ?? 0) >= failAt) sends.pop();
  }
  return { sends, failAt };
}

/**
 * The wait (ms) after the `sent`-th request of a UDP transaction (1-based): until the next send, or
 * until failure when `sent` is the last (Rc-th) request. RFC 8489 §6.2.1: the interval starts at RTO
 * and doubles after each send; after the last request the client waits Rm times the initial RTO.
 * Every wait is capped by `maxInterval`. `computeSchedule` is built from it; a caller that runs its
 * own timers (ICE, whose checks pace and defer their retransmissions) steps through it.
 */
export function retransmissionWait(sent: number, options: TransactionOptions = {}): number {
  const rto = positive(options.rto, DEFAULT_RTO, 'rto');
  const rc = Math.max(1, Math.floor(positive(options.rc, DEFAULT_RC, 'rc')));
  const wait = sent >= rc ? positive(options.rm, DEFAULT_RM, 'rm') * rto : rto * 2 ** (sent - 1);
  const cap = options.maxInterval;
  if (cap === undefined) return wait;
  if (!(cap > 0))
    throw new RangeError(`STUN transaction option maxInterval must be a positive number of ms, got ${cap}`);
  return Math.min(wait, cap);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`STUN transaction option ${name} must be a positive number of ms, got ${value}`);
  }
  return value;
}
