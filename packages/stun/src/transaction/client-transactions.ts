import { sameTransportAddress } from '../address.js';
import { bytesToHex } from '../codec/bytes.js';
import type { StunMessage, TransportAddress } from '../codec/index.js';
import { computeSchedule, type TransactionOptions } from './schedule.js';
import { transactionIdOf } from './transaction-id.js';

/**
 * What a transaction ended with: a response, or a timeout after the last retransmission. `C` is
 * the type of the caller's context (see `StunClientTransactions`).
 */
export type TransactionEvent<C = unknown> =
  | {
      /** A response arrived. */
      type: 'response';
      /** The transaction id, as hex. */
      transactionId: string;
      /** The decoded response. */
      message: StunMessage;
      /** Where the response came from. */
      from: TransportAddress;
      /** ms from the first send to the response (spans retransmissions: see `retransmits`). */
      rtt: number;
      /** How many times the request was retransmitted before the response. */
      retransmits: number;
      /** The caller's `context` given to `start`. */
      context?: C;
    }
  | {
      /** No response after the last retransmission (RFC 8489 §6.2.1). */
      type: 'timeout';
      /** The transaction id, as hex. */
      transactionId: string;
      /** Where the request went. */
      destination: TransportAddress;
      /** The caller's `context` given to `start`. */
      context?: C;
    };

interface Transaction<C> {
  id: string;
  request: Uint8Array;
  destination: TransportAddress;
  startedAt: number;
  /** Absolute send times still ahead, ascending. */
  sends: number[];
  failAt: number;
  sent: number;
  /** Where the response must come from: the destination, unless a CHANGE-REQUEST moved it. */
  expectedSource: TransportAddress;
  context: C | undefined;
}

/** Options of `StunClientTransactions.start`: the schedule's, the caller's context, the response's source. */
export interface StartOptions<C = unknown> extends TransactionOptions {
  /** Anything the caller wants back in the transaction's event (and from `lookup`). */
  context?: C;
  /**
   * Where the response must come from when it is not the destination: RFC 5780 CHANGE-REQUEST
   * asks the server to answer from its alternate IP and/or port.
   */
  responseSource?: TransportAddress;
}

/**
 * Sans-IO STUN client transactions (RFC 8489 §6.2): one instance serves many transactions, keeps
 * no clock and no socket. Feed it responses and timeouts; drain datagrams and events.
 *
 * Each transaction may carry a context of type `C` (what the caller needs to act on its outcome:
 * the request it was, its credentials); it comes back with the transaction's event, and `lookup`
 * finds it for a response before the response ends the transaction, so the caller keeps no map of
 * its own beside this one.
 */
export class StunClientTransactions<C = unknown> {
  readonly #defaults: TransactionOptions;
  readonly #live = new Map<string, Transaction<C>>();
  readonly #transmits: { data: Uint8Array; destination: TransportAddress }[] = [];
  readonly #events: TransactionEvent<C>[] = [];

  constructor(defaults: TransactionOptions = {}) {
    computeSchedule(defaults); // validates
    this.#defaults = { ...defaults };
  }

  /** Starts sending `request` (encoded bytes of a request) to destination. Returns hex transaction id. */
  start(
    request: Uint8Array,
    destination: TransportAddress,
    now: number,
    options: StartOptions<C> = {},
  ): string {
    const id = transactionIdOf(request);
    // RFC 8489 §6.1: the transaction id MUST be unique among live transactions of this client.
    if (this.#live.has(id))
      throw new Error(`STUN transaction ${id} is already running: use a fresh transaction id`);
    const { context, responseSource, ...own } = options;
    const schedule = computeSchedule({ ...this.#defaults, ...own });
    const tx: Transaction<C> = {
      id,
      request,
      destination,
      startedAt: now,
      sends: schedule.sends.map((offset) => now + offset),
      failAt: now + schedule.failAt,
      sent: 0,
      expectedSource: responseSource ?? destination,
      context,
    };
    this.#live.set(id, tx);
    this.#sendDue(tx, now);
    return id;
  }

  /**
   * The live transaction that `response` (a success or error) from `from` answers, without ending it:
   * its id and the context given to `start`. The caller can then judge the response with what it
   * knows of the request (RFC 8489 §9.2.5: a response to an authenticated request must carry a
   * valid MESSAGE-INTEGRITY) before it hands it to `handleResponse`, or drop it and keep waiting.
   * Undefined when the response answers no live transaction (late, duplicate, or from elsewhere).
   */
  lookup(
    response: StunMessage,
    from: TransportAddress,
  ):
    | {
        /** The transaction id, as hex. */
        transactionId: string;
        /** The caller's `context` given to `start`. */
        context: C | undefined;
      }
    | undefined {
    const tx = this.#match(response, from);
    return tx && { transactionId: tx.id, context: tx.context };
  }

  /** Feed a decoded response (success or error class). Returns true if it matched a live transaction from that address. */
  handleResponse(message: StunMessage, from: TransportAddress, now: number): boolean {
    const tx = this.#match(message, from);
    if (tx === undefined) return false;
    this.#live.delete(tx.id);
    const event: TransactionEvent<C> = {
      type: 'response',
      transactionId: tx.id,
      message,
      from,
      rtt: now - tx.startedAt,
      retransmits: Math.max(0, tx.sent - 1),
    };
    if (tx.context !== undefined) event.context = tx.context;
    this.#events.push(event);
    return true;
  }

  /** Stops a transaction without an event (one already queued is dropped). Unknown ids are ignored. */
  cancel(transactionId: string): void {
    this.#live.delete(transactionId);
    const queued = this.#events.findIndex((e) => e.transactionId === transactionId);
    if (queued >= 0) this.#events.splice(queued, 1);
  }

  /** Stops every transaction without an event (queued events are dropped too). */
  cancelAll(): void {
    this.#live.clear();
    this.#events.length = 0;
  }

  /**
   * Retransmits the requests whose timer expired at `now` (ms) and times out those past their last
   * wait (RFC 8489 §6.2.1).
   */
  handleTimeout(now: number): void {
    for (const tx of [...this.#live.values()]) {
      if (now >= tx.failAt) {
        this.#live.delete(tx.id);
        const event: TransactionEvent<C> = {
          type: 'timeout',
          transactionId: tx.id,
          destination: tx.destination,
        };
        if (tx.context !== undefined) event.context = tx.context;
        this.#events.push(event);
      } else {
        this.#sendDue(tx, now);
      }
    }
  }

  /** The next datagram to send, or undefined when none is queued. */
  pollTransmit():
    | {
        /** The encoded request. */
        data: Uint8Array;
        /** Where to send it. */
        destination: TransportAddress;
      }
    | undefined {
    return this.#transmits.shift();
  }

  /** Absolute time (ms) of the next retransmission or failure; undefined when idle. */
  pollTimeout(): number | undefined {
    let next: number | undefined;
    for (const tx of this.#live.values()) {
      const at = tx.sends[0] ?? tx.failAt;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  /** The next transaction event, or undefined when none is queued. */
  pollEvent(): TransactionEvent<C> | undefined {
    return this.#events.shift();
  }

  /** Number of live transactions. */
  get size(): number {
    return this.#live.size;
  }

  /** The live transaction a success or error response answers, when it came from where it must. */
  #match(response: StunMessage, from: TransportAddress): Transaction<C> | undefined {
    if (response.class !== 'success' && response.class !== 'error') return undefined;
    const tx = this.#live.get(bytesToHex(response.transactionId));
    // Late (after timeout) and duplicate (after the first) responses find no live transaction.
    // A response must come from where the request went; anything else is spoofed or misrouted.
    return tx !== undefined && sameTransportAddress(tx.expectedSource, from) ? tx : undefined;
  }

  /** One datagram however late the caller is: sends whose time passed together collapse into one. */
  #sendDue(tx: Transaction<C>, now: number): void {
    let due = false;
    while (tx.sends.length > 0 && (tx.sends[0] ?? Number.POSITIVE_INFINITY) <= now) {
      tx.sends.shift();
      due = true;
    }
    if (!due) return;
    tx.sent++;
    this.#transmits.push({ data: tx.request, destination: tx.destination });
  }
}
