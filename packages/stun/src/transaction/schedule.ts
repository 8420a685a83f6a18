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
}

export const DEFAULT_RTO = 500;
export const DEFAULT_RC = 7;
export const DEFAULT_RM = 16;
export const DEFAULT_TI = 39_500;

/** Offsets (ms after the first send) of every send, and of the failure. */
export interface Schedule {
  sends: number[];
  failAt: number;
}

export function computeSchedule(options: TransactionOptions = {}): Schedule {
  const budget = options.timeout;
  if (options.reliable) {
    const ti = positive(options.ti, DEFAULT_TI, 'ti');
    return { sends: [0], failAt: budget === undefined ? ti : Math.min(ti, positive(budget, 0, 'timeout')) };
  }
  const rto = positive(options.rto, DEFAULT_RTO, 'rto');
  const rc = Math.max(1, Math.floor(positive(options.rc, DEFAULT_RC, 'rc')));
  const rm = positive(options.rm, DEFAULT_RM, 'rm');
  const sends: number[] = [];
  let at = 0;
  let interval = rto;
  for (let i = 0; i < rc; i++) {
    sends.push(at);
    if (i < rc - 1) {
      at += interval;
      interval *= 2;
    }
  }
  // RFC 8489 §6.2.1: after the last request, wait Rm times the (initial) RTO.
  let failAt = at + rm * rto;
  if (budget !== undefined) {
    failAt = Math.min(failAt, positive(budget, 0, 'timeout'));
    while (sends.length > 1 && (sends[sends.length - 1] ?? 0) >= failAt) sends.pop();
  }
  return { sends, failAt };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`STUN transaction option ${name} must be a positive number of ms, got ${value}`);
  }
  return value;
}
