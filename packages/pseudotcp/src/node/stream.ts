// A node:stream Duplex over a pseudo-TCP connection: drives the sans-IO core with real time
// (one timer re-armed to the core's next deadline) and a datagram transport.
import { performance } from 'node:perf_hooks';
import { Duplex, type Readable } from 'node:stream';
import { abortError } from '../abort.js';
import {
  PseudoTcp,
  type PseudoTcpCloseReason,
  type PseudoTcpOptions,
  type PseudoTcpState,
  type PseudoTcpStats,
} from '../core/pseudotcp.js';
import { allocChunk, useChunkMemory } from './chunk-memory.js';
import type { DatagramTransport } from './transport.js';

export interface PseudoTcpStreamOptions extends PseudoTcpOptions {
  /**
   * Send the connect message at once (active open). Default true: over ICE both sides connect and
   * the simultaneous open is the normal case. false waits for the peer's connect.
   */
  connect?: boolean;
  /** How long a cleanly ended stream keeps answering the peer after destroy, in ms. Default 5000. */
  lingerMs?: number;
  /**
   * Keep our sending side open after the peer's FIN (half-close). Default false, as net.Socket:
   * the end of the readable side ends the writable side too.
   */
  allowHalfOpen?: boolean;
  /**
   * Aborting it destroys the stream (an RST to the peer if it was open) with an AbortError, as
   * `net.connect`'s `signal` does: the stream's 'error' is then an error named 'AbortError'.
   */
  signal?: AbortSignal;
  /**
   * Take the reader's large chunks from the native addon's pool of blocks (fewer page faults on a
   * fast receiver). Default true where the addon is loaded; false allocates each chunk with
   * Buffer.allocUnsafe, which holds less memory when the reader keeps chunks a while.
   */
  chunkPool?: boolean;
}

/**
 * How a pseudo-TCP connection ended with an error: 'reset' (the peer sent RST), 'timeout' (the
 * peer stopped answering, `idleTimeout` or retransmission limit), 'connect-failed' (the connect got
 * no answer), 'closed' (written to after the connection closed).
 */
export type PseudoTcpErrorCode = Exclude<PseudoTcpCloseReason, 'normal'> | 'closed';

/** A pseudo-TCP connection that ended with an error; `code` says how. */
export class PseudoTcpError extends Error {
  /** How the connection ended: 'reset', 'timeout', 'connect-failed', or 'closed' (see PseudoTcpErrorCode). */
  readonly code: PseudoTcpErrorCode;
  constructor(code: PseudoTcpErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PseudoTcpError';
    this.code = code;
  }
}

/** The events of a PseudoTcpStream (those of a Duplex, plus 'connect') and their listeners' arguments. */
export interface PseudoTcpStreamEvents {
  /** the connection opened; writes made before are sent from now */
  connect: [];
  /** the stream was destroyed and the transport released; emitted last */
  close: [];
  /** bytes received from the peer, in order */
  data: [chunk: Buffer];
  /** the writable buffer drained after a write() returned false: writing can go on */
  drain: [];
  /** the readable side ended: the peer sent FIN and every byte before it was read */
  end: [];
  /** a PseudoTcpError, an AbortError (the `signal` option), or the error given to destroy() */
  error: [error: Error];
  /** the writable side finished: end() was called and the peer acknowledged every byte */
  finish: [];
  /** reading was paused (pause(), or a pipe's destination is full) */
  pause: [];
  /** a Readable started piping into this stream */
  pipe: [source: Readable];
  /** received bytes are ready to read(), or the readable side ended */
  readable: [];
  /** reading resumed (resume(), or a 'data' listener was added) */
  resume: [];
  /** a Readable stopped piping into this stream */
  unpipe: [source: Readable];
}

const HINTS: Record<PseudoTcpErrorCode, string> = {
  reset: 'the peer reset the pseudo-TCP connection; it closed or restarted, start the transfer again',
  timeout: 'the pseudo-TCP peer stopped answering; check that it is still running and the path is up',
  'connect-failed':
    'the pseudo-TCP connect got no answer; check that the peer is running and reachable over this transport',
  closed: 'the pseudo-TCP connection closed before all data was sent; start the transfer again',
};

const READ_CHUNK = 256 * 1024;
/** Datagrams per DatagramTransport.sendBatch call. */
const SEND_BATCH = 64;
const NO_DATAGRAM = new Uint8Array(0);

/**
 * Drops the batch's references once sent: a datagram left in it would keep its whole slab alive
 * through young collections into the old generation, where it waits for a full one (the sender's
 * external memory grew by 20 MiB in a 512 MiB transfer before this).
 */
function forget(batch: Uint8Array[], n: number): void {
  for (let i = 0; i < n; i++) batch[i] = NO_DATAGRAM;
}

interface PendingWrite {
  data: Uint8Array;
  callback: (error?: Error | null) => void;
}

// Types only: the listener methods of Duplex narrowed to PseudoTcpStreamEvents (declared here, they
// take the place of Duplex's overloads, which accept any event name).
type Events = PseudoTcpStreamEvents;
export interface PseudoTcpStream {
  /** Calls `listener` on every `event` (appended to its listeners). */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
  /** Calls `listener` on the next `event` only. */
  once<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
  /** Removes `listener` from `event` (the same as removeListener). */
  off<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
  /** Calls `listener` on every `event` (the same as on). */
  addListener<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
  /** Removes `listener` from `event` (its most recently added copy). */
  removeListener<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
  /** Calls `listener` on every `event`, before the listeners already added. */
  prependListener<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
  /** Calls `listener` on the next `event` only, before the listeners already added. */
  prependOnceListener<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): this;
  /** Calls the listeners of `event` with `args`, synchronously; whether there were any. */
  emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean;
  /** How many listeners `event` has. */
  listenerCount(event: keyof Events): number;
}

/**
 * A Duplex byte stream over pseudo-TCP, its events typed by PseudoTcpStreamEvents. Emits 'connect'
 * once the connection is open. Writes are accepted into the pseudo-TCP send buffer (the write callback fires when all of a chunk is in it);
 * end() half-closes (a FIN when both sides negotiated FIN-ACK) and 'finish' fires once the peer
 * acknowledged everything. The readable side ends at the peer's FIN.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class PseudoTcpStream extends Duplex {
  private readonly tcp: PseudoTcp;
  private readonly transport: DatagramTransport;
  private readonly lingerMs: number;
  private detachTransport: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerDeadline = Number.POSITIVE_INFINITY;
  private flushScheduled = false;
  private opened = false;
  private reading = false;
  private readEnded = false;
  private pending: PendingWrite | undefined;
  private finalCallback: ((error?: Error | null) => void) | undefined;
  private coreClosed = false;
  private transportClosed = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private detachSignal: (() => void) | undefined;
  private readonly batch: Uint8Array[] = [];
  /** Declares this stream done with the reader's chunk pool (freed when no other stream uses it). */
  private readonly doneWithChunkMemory: () => void;
  /** Whether the reader's chunks come from the pool (options.chunkPool). */
  private readonly chunkPool: boolean;

  constructor(transport: DatagramTransport, options: PseudoTcpStreamOptions = {}) {
    const {
      connect = true,
      lingerMs = 5000,
      allowHalfOpen = false,
      signal,
      chunkPool = true,
      ...coreOptions
    } = options;
    super({ readableHighWaterMark: READ_CHUNK, writableHighWaterMark: 256 * 1024, allowHalfOpen });
    this.chunkPool = chunkPool;
    this.doneWithChunkMemory = chunkPool ? useChunkMemory() : () => {};
    this.tcp = new PseudoTcp(coreOptions);
    this.transport = transport;
    this.lingerMs = lingerMs;
    this.detachTransport = transport.onMessage((data) => this.onDatagram(data));
    if (connect) this.tcp.connect(now());
    this.service();
    if (signal !== undefined) {
      const onAbort = () => this.destroy(abortError(signal, 'the pseudo-TCP stream was aborted'));
      // Already aborted: destroyed on the next tick, once the caller could listen for 'error'.
      if (signal.aborted) process.nextTick(onAbort);
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.detachSignal = () => signal.removeEventListener('abort', onAbort);
      }
    }
  }

  /** The pseudo-TCP state ('listen', 'established', 'fin-wait-1', ...). */
  get state(): PseudoTcpState {
    return this.tcp.state;
  }

  /** Round-trip, window, pacing and byte counters of the connection. */
  stats(): PseudoTcpStats {
    return this.tcp.stats();
  }

  /** @internal Duplex internals: resumes delivery of received bytes. */
  override _read(): void {
    this.reading = true;
    this.pull();
    this.flushTransmits();
  }

  /** @internal Duplex internals: queues written bytes in the send buffer. */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.coreClosed) {
      callback(new PseudoTcpError('closed', HINTS.closed));
      return;
    }
    this.pending = { data: chunk, callback };
    this.tryWrite();
    this.flushTransmits();
  }

  /** @internal Duplex internals: closes the sending side (FIN) once everything written is sent. */
  override _final(callback: (error?: Error | null) => void): void {
    this.finalCallback = callback;
    if (this.coreClosed) {
      this.settleFinal();
      return;
    }
    this.tcp.shutdown(now());
    this.service();
  }

  /** @internal Duplex internals: resets or closes the connection and releases the transport. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Nothing more is read from the core into pooled chunks once destroyed.
    this.doneWithChunkMemory();
    this.detachSignal?.();
    this.detachSignal = undefined;
    if (this.pending) {
      const { callback: cb } = this.pending;
      this.pending = undefined;
      cb(error ?? new PseudoTcpError('closed', HINTS.closed));
    }
    if (!this.coreClosed) {
      const clean = error === null && this.readEnded && this.writableFinished;
      // A clean end lingers to finish the closing handshake; anything else resets the peer.
      this.tcp.close(now(), !clean);
      this.service();
      if (!this.coreClosed) {
        this.lingerTimer = setTimeout(() => this.release(), this.lingerMs);
        this.lingerTimer.unref();
      }
    }
    if (this.coreClosed) this.release();
    callback(error);
  }

  private onDatagram(data: Uint8Array): void {
    this.tcp.handleInput(data, now());
    // Datagrams read in one event-loop turn are handled together before anything is sent.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.service();
      });
    }
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerDeadline = Number.POSITIVE_INFINITY;
    this.tcp.handleTimeout(now());
    this.service();
  }

  /** Sends what the core queued, handles its events and re-arms the timer. */
  private service(): void {
    this.flushTransmits();
    for (let event = this.tcp.pollEvent(); event; event = this.tcp.pollEvent()) {
      switch (event.type) {
        case 'opened':
          this.opened = true;
          this.emit('connect');
          break;
        case 'readable':
          break;
        case 'writable':
          break;
        case 'closed':
          this.onClosed(event.reason, event.error);
          break;
      }
    }
    if (this.coreClosed) {
      // Nothing more will go on the wire: hand the transport back now, even if the application
      // has not read the end of the stream yet (so that an idle process can exit).
      this.release();
      if (this.destroyed) return;
    }
    if (!this.destroyed) {
      this.tryWrite();
      this.pull();
      this.checkFinal();
    }
    this.flushTransmits();
    this.armTimer();
  }

  private flushTransmits(): void {
    if (this.transport.sendBatch === undefined) {
      for (let d = this.tcp.pollTransmit(); d; d = this.tcp.pollTransmit()) {
        if (!this.transportClosed) this.transport.send(d);
      }
      return;
    }
    // Everything the core has to send now, handed over in batches (one system call each when the
    // transport batches them).
    const batch = this.batch;
    let n = 0;
    let copied = false;
    for (let d = this.tcp.pollTransmit(); d; d = this.tcp.pollTransmit()) {
      batch[n++] = d;
      if (n === SEND_BATCH) {
        copied = !this.transportClosed && this.transport.sendBatch(batch, n) === true;
        forget(batch, n);
        n = 0;
      }
    }
    if (n > 0) {
      copied = !this.transportClosed && this.transport.sendBatch(batch, n) === true;
      forget(batch, n);
    }
    // The transport holds no datagram any more: the core writes the next ones in the same memory.
    if (copied) this.tcp.releaseTransmits();
  }

  private armTimer(): void {
    const deadline = this.coreClosed ? undefined : this.tcp.pollTimeout();
    if (deadline === undefined) {
      if (this.timer) clearTimer(this.timer);
      this.timer = undefined;
      this.timerDeadline = Number.POSITIVE_INFINITY;
      return;
    }
    // An armed timer that fires no later than needed is kept: an early handleTimeout is harmless.
    if (this.timer && this.timerDeadline <= deadline) return;
    if (this.timer) clearTimer(this.timer);
    this.timerDeadline = deadline;
    const wait = deadline - now();
    // Node timers have 1 ms granularity. A deadline already due runs on the next event-loop turn;
    // a pacing gap shorter than 1 ms is waited out with a 1 ms timer rather than by turning the
    // loop until it passes (which kept a CPU busy doing nothing, taken from the peer process on a
    // small machine): the pacer lets up to 2 ms of lateness go out as one burst, so the rate is
    // not capped at one segment per ms.
    this.timer =
      wait <= 0
        ? (setImmediate(() => this.onTimer()) as unknown as NodeJS.Timeout)
        : setTimeout(() => this.onTimer(), Math.max(1, wait));
  }

  private tryWrite(): void {
    const p = this.pending;
    if (!p || !this.opened || this.coreClosed) return;
    const n = this.tcp.send(p.data, now());
    if (n === p.data.length) {
      this.pending = undefined;
      p.callback();
    } else if (n > 0) {
      p.data = p.data.subarray(n);
    }
  }

  private pull(): void {
    if (this.readEnded) return;
    while (this.reading) {
      const n = Math.min(this.tcp.readableBytes, READ_CHUNK);
      if (n <= 0) break;
      // Uninitialised memory (no zero fill): recvInto overwrites all of it.
      const chunk = this.chunkPool ? allocChunk(n) : Buffer.allocUnsafe(n);
      this.tcp.recvInto(chunk);
      if (!this.push(chunk)) this.reading = false;
    }
    if (this.tcp.eof || (this.coreClosed && this.tcp.readableBytes === 0)) {
      this.readEnded = true;
      this.push(null);
    }
  }

  private checkFinal(): void {
    if (!this.finalCallback) return;
    const s = this.tcp.state;
    // Our FIN was acknowledged (so was every byte before it), or the connection closed cleanly.
    if (s === 'fin-wait-2' || s === 'time-wait' || s === 'closed') this.settleFinal();
  }

  private settleFinal(): void {
    const cb = this.finalCallback;
    this.finalCallback = undefined;
    cb?.();
  }

  private onClosed(reason: PseudoTcpCloseReason, error: string | undefined): void {
    this.coreClosed = true;
    if (reason !== 'normal') {
      const err = new PseudoTcpError(reason, `${HINTS[reason]}${error ? ` (${error})` : ''}`);
      this.destroy(err);
      return;
    }
    this.checkFinal();
    if (this.pending) this.destroy(new PseudoTcpError('closed', HINTS.closed));
  }

  /** Stops everything once the core is closed (or the linger ran out) and hands the transport back. */
  private release(): void {
    if (this.transportClosed) return;
    this.transportClosed = true;
    // What the reader has not read yet (at most the receive buffer) no longer needs the pool.
    this.doneWithChunkMemory();
    this.flushTransmits();
    if (this.timer) clearTimer(this.timer);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.timer = undefined;
    this.detachTransport?.();
    this.detachTransport = undefined;
    this.transport.close?.();
  }
}

/** Opens a pseudo-TCP connection over `transport` and returns it as a Duplex stream. */
export function createPseudoTcpStream(
  transport: DatagramTransport,
  options: PseudoTcpStreamOptions = {},
): PseudoTcpStream {
  return new PseudoTcpStream(transport, options);
}

/** Clears a handle from setTimeout or setImmediate. */
function clearTimer(t: NodeJS.Timeout): void {
  clearTimeout(t);
  clearImmediate(t as unknown as NodeJS.Immediate);
}

function now(): number {
  return performance.now();
}
