// A sans-IO request/response exchange over UDP with retransmission, shared by NAT-PMP and PCP.
// No socket, timer or clock inside: the caller feeds handleInput/handleTimeout with `now` (ms)
// and drains pollTransmit/pollTimeout/pollEvent.

/** How a request is retransmitted: exponential backoff with optional jitter. */
export interface RetransmitSchedule {
  /** first retransmission timeout in ms */
  initialTimeoutMs: number;
  /** upper bound of one timeout in ms */
  maxTimeoutMs: number;
  /** total number of transmissions before giving up */
  maxTransmissions: number;
  /** jitter in [-j, +j] as a fraction of each timeout (RFC 6887 §8.1.1 uses 0.1) */
  jitter: number;
}

/**
 * RFC 6886 §3.1: first retransmission after 250 ms, doubling each time, up to 9 sends.
 */
export const NATPMP_SCHEDULE: RetransmitSchedule = {
  initialTimeoutMs: 250,
  maxTimeoutMs: 64_000,
  maxTransmissions: 9,
  jitter: 0,
};

/**
 * RFC 6887 §8.1.1 gives IRT = 3 s, MRT = 1024 s with ±10 % jitter. Port mapping here runs
 * inside candidate gathering with a 2 s budget, so the first retransmission comes earlier;
 * the doubling and jitter follow the RFC.
 */
export const PCP_SCHEDULE: RetransmitSchedule = {
  initialTimeoutMs: 500,
  maxTimeoutMs: 1_024_000,
  maxTransmissions: 8,
  jitter: 0.1,
};

/**
 * What a `RequestTransaction` reports: the response, a timeout after the last transmission, or an
 * ignored datagram.
 */
export type TransactionEvent<R> =
  | {
      /** The response arrived; the transaction is finished. */
      type: 'response';
      /** The response, as `accept` returned it. */
      response: R;
    }
  | {
      /** No response after the last transmission; the transaction is finished. */
      type: 'timeout';
    }
  | {
      /** A datagram was not the response; the transaction goes on. */
      type: 'ignored';
      /** Why it was ignored. */
      reason: string;
    };

/** Returned by an `accept` function for a datagram that is not the answer we wait for. */
export class IgnoredDatagram {
  /** Why the datagram was ignored. */
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/**
 * Makes an `IgnoredDatagram`: what an `accept` function returns for a datagram it does not take.
 */
export function ignore(reason: string): IgnoredDatagram {
  return new IgnoredDatagram(reason);
}

/**
 * One outstanding request. `accept` decodes and matches a datagram: it returns the response, or
 * an IgnoredDatagram saying why the datagram was ignored (bad bytes, wrong opcode, wrong nonce).
 */
export class RequestTransaction<R> {
  private readonly request: Uint8Array;
  private readonly accept: (bytes: Uint8Array) => R | IgnoredDatagram;
  private readonly schedule: RetransmitSchedule;
  private readonly random: () => number;
  private transmissions = 0;
  private nextTimeout: number | undefined;
  private currentTimeout: number;
  private pendingTransmit = false;
  private handedOut = false;
  private done = false;
  private readonly events: TransactionEvent<R>[] = [];

  constructor(
    request: Uint8Array,
    accept: (bytes: Uint8Array) => R | IgnoredDatagram,
    schedule: RetransmitSchedule,
    random: () => number = Math.random,
  ) {
    this.request = request;
    this.accept = accept;
    this.schedule = schedule;
    this.random = random;
    this.currentTimeout = schedule.initialTimeoutMs;
  }

  /** Sends the request for the first time at `now` (ms). */
  start(now: number): void {
    this.send(now);
  }

  /** Whether a response was accepted or the transaction timed out. */
  get finished(): boolean {
    return this.done;
  }

  /** Whether `pollTransmit` has handed the request out at least once (it may have reached the server). */
  get sent(): boolean {
    return this.handedOut;
  }

  private send(now: number): void {
    this.transmissions += 1;
    this.pendingTransmit = true;
    const j = this.schedule.jitter;
    const factor = 1 + (this.random() * 2 - 1) * j;
    this.nextTimeout = now + Math.round(this.currentTimeout * factor);
    this.currentTimeout = Math.min(this.currentTimeout * 2, this.schedule.maxTimeoutMs);
  }

  /** Takes a datagram from the server; `accept` decides whether it is the response. */
  handleInput(bytes: Uint8Array, _now: number): void {
    if (this.done) return;
    const result = this.accept(bytes);
    if (result instanceof IgnoredDatagram) {
      this.events.push({ type: 'ignored', reason: result.reason });
      return;
    }
    this.done = true;
    this.nextTimeout = undefined;
    this.events.push({ type: 'response', response: result });
  }

  /** Retransmits, or times out after the last transmission, when the timer is due at `now` (ms). */
  handleTimeout(now: number): void {
    if (this.done || this.nextTimeout === undefined || now < this.nextTimeout) return;
    if (this.transmissions >= this.schedule.maxTransmissions) {
      this.done = true;
      this.nextTimeout = undefined;
      this.events.push({ type: 'timeout' });
      return;
    }
    this.send(now);
  }

  /** The request to send now, or undefined when no transmission is due. */
  pollTransmit(): Uint8Array | undefined {
    if (!this.pendingTransmit) return undefined;
    this.pendingTransmit = false;
    this.handedOut = true;
    return this.request;
  }

  /** When (ms) `handleTimeout` is next wanted, or undefined when finished. */
  pollTimeout(): number | undefined {
    return this.nextTimeout;
  }

  /** The next event, or undefined when none is queued. */
  pollEvent(): TransactionEvent<R> | undefined {
    return this.events.shift();
  }
}
