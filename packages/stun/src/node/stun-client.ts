import { performance } from 'node:perf_hooks';
import { abortError } from '../abort.js';
import { formatTransportAddress } from '../address.js';
import {
  decodeStunMessage,
  isStunMessage,
  type StunMessage,
  StunMessageBuilder,
  type TransportAddress,
} from '../codec/index.js';
import { StunClientTransactions } from '../transaction/client-transactions.js';
import type { TransactionOptions } from '../transaction/schedule.js';
import { StunClientError } from './errors.js';

/** A STUN response matched to its request. */
export interface StunResponse {
  /** The decoded response. */
  message: StunMessage;
  /** The transport address it came from. */
  from: TransportAddress;
  /** ms from the first send to the response. */
  rtt: number;
  /** How many times the request was retransmitted before the response came. */
  retransmits: number;
}

export interface StunClientOptions extends TransactionOptions {
  /** Sends one datagram (or, on a stream, one framed message). The client never owns a socket. */
  send: (data: Uint8Array, destination: TransportAddress) => void;
}

/**
 * Options of one request: the retransmission schedule, an abort signal and the expected response
 * source.
 */
export type RequestOptions = TransactionOptions & {
  /** Cancels the transaction: the request rejects with an AbortError (see abortError). */
  signal?: AbortSignal;
  /** Where the response must come from, if not the destination (RFC 5780 CHANGE-REQUEST). */
  responseSource?: TransportAddress;
};

interface Pending {
  resolve: (response: StunResponse) => void;
  reject: (error: Error) => void;
  cleanup: () => void;
}

/**
 * STUN client over a transport the caller owns (RFC 8489 §6.2): it sends through `send` and is
 * fed the STUN messages the caller's demultiplexer routes to it with `handleMessage`. Several
 * clients, or a client and other protocols, can share one socket: a message that answers none of
 * this client's transactions is left alone (handleMessage returns false).
 */
export class StunClient {
  readonly #send: StunClientOptions['send'];
  readonly #transactions: StunClientTransactions;
  readonly #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #timerAt: number | undefined;
  #closed = false;

  constructor(options: StunClientOptions) {
    const { send, ...defaults } = options;
    this.#send = send;
    this.#transactions = new StunClientTransactions(defaults);
  }

  /**
   * Sends a request and resolves with its response, success or error class alike (look at
   * `message.class`). Rejects with a StunClientError ('timeout', 'closed'), or an AbortError when
   * `options.signal` aborts.
   */
  request(
    request: Uint8Array | StunMessageBuilder,
    destination: TransportAddress,
    options: RequestOptions = {},
  ): Promise<StunResponse> {
    if (this.#closed) return Promise.reject(new StunClientError('closed', 'the STUN client is closed'));
    const { signal, ...txOptions } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal, 'the STUN request was aborted'));
    const bytes = request instanceof StunMessageBuilder ? request.build() : request;
    return new Promise<StunResponse>((resolve, reject) => {
      let id: string;
      try {
        id = this.#transactions.start(bytes, destination, performance.now(), txOptions);
      } catch (error) {
        reject(error);
        return;
      }
      const onAbort = () => {
        this.#transactions.cancel(id);
        this.#settle(id)?.reject(abortError(signal as AbortSignal, 'the STUN request was aborted'));
        this.#schedule();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      this.#pump();
    });
  }

  /** A Binding request; resolves with the response. */
  binding(destination: TransportAddress, options: RequestOptions = {}): Promise<StunResponse> {
    return this.request(new StunMessageBuilder('request', 0x001), destination, options);
  }

  /**
   * Feed a STUN message (bytes or decoded) received from `from`. Returns true if it answered one
   * of this client's live transactions; false otherwise (not STUN, not ours, duplicate, late).
   */
  handleMessage(data: Uint8Array | StunMessage, from: TransportAddress): boolean {
    let message: StunMessage;
    if (data instanceof Uint8Array) {
      if (!isStunMessage(data)) return false;
      try {
        message = decodeStunMessage(data);
      } catch {
        return false;
      }
    } else {
      message = data;
    }
    const matched = this.#transactions.handleResponse(message, from, performance.now());
    if (matched) this.#pump();
    return matched;
  }

  /** Live transactions. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Rejects every pending request and stops the timer. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) {
      this.#transactions.cancel(id);
      this.#settle(id)?.reject(new StunClientError('closed', 'the STUN client was closed'));
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #settle(id: string): Pending | undefined {
    const p = this.#pending.get(id);
    if (p === undefined) return undefined;
    this.#pending.delete(id);
    p.cleanup();
    return p;
  }

  #pump(): void {
    for (let t = this.#transactions.pollTransmit(); t; t = this.#transactions.pollTransmit()) {
      try {
        this.#send(t.data, t.destination);
      } catch {
        // A failed send is a lost datagram: the retransmission schedule covers it.
      }
    }
    for (let e = this.#transactions.pollEvent(); e; e = this.#transactions.pollEvent()) {
      const p = this.#settle(e.transactionId);
      if (p === undefined) continue;
      if (e.type === 'response') {
        p.resolve({ message: e.message, from: e.from, rtt: e.rtt, retransmits: e.retransmits });
      } else {
        p.reject(
          new StunClientError(
            'timeout',
            `no answer from STUN server ${formatTransportAddress(e.destination)}: check the address and that UDP to it is not blocked`,
          ),
        );
      }
    }
    this.#schedule();
  }

  #schedule(): void {
    const at = this.#transactions.pollTimeout();
    if (at === this.#timerAt && this.#timer !== undefined) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === undefined || this.#closed) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = undefined;
        this.#transactions.handleTimeout(Math.max(at, performance.now()));
        this.#pump();
      },
      Math.max(0, Math.ceil(at - performance.now())),
    );
  }
}
