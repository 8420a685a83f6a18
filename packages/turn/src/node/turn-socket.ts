// Node adapter: drives a TurnAllocation over its own UDP socket, its own TCP/TLS connection, or a UDP
// socket the caller owns (the caller routes the server's datagrams in through handleDatagram).
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import {
  abortError,
  DeadlineTimer,
  StunStreamFramer,
  sameTransportAddress,
  type TransportAddress,
  type TypedEventEmitter,
} from '@p2pcat/stun';
import {
  TurnAllocation,
  type TurnAllocationOptions,
  type TurnEvent,
  type TurnStats,
  type TurnTransport,
} from '../allocation.js';
import { TurnError } from '../errors.js';

/** A sender over a UDP socket the caller owns, shared with other traffic (such as ICE checks). */
export interface TurnDatagramSender {
  /** Sends one datagram from the caller's socket. */
  send(data: Uint8Array, destination: TransportAddress): void;
}

/**
 * Options of `TurnSocket`: those of `TurnAllocationOptions` with a transport that may be a caller's
 * socket.
 */
export interface TurnSocketOptions extends Omit<TurnAllocationOptions, 'transport'> {
  /** 'udp' (own socket, default), 'tcp', 'tls', or a sender over a UDP socket the caller owns */
  transport?: TurnTransport | TurnDatagramSender;
  /** node:tls connect options for transport 'tls' (ca, servername, rejectUnauthorized, ...) */
  tls?: tls.ConnectionOptions;
  /** local address to bind the own UDP socket to */
  localAddress?: string;
}

/** What a TurnSocket operation that waits takes. */
export interface TurnOperationOptions {
  /** Stops waiting: the operation rejects with an AbortError (see each method for what else it does). */
  signal?: AbortSignal;
}

/** The events of a TurnSocket and their listeners' arguments. */
export interface TurnSocketEvents {
  /** a datagram from `peer` through the relay */
  message: [data: Uint8Array, peer: TransportAddress];
  /** fatal: the allocation is gone ('close' follows); emitted only when someone listens */
  error: [error: TurnError];
  /** a permission or channel for `peer` was refused; the allocation stays up */
  warning: [error: TurnError, peer: TransportAddress | undefined];
  /** a 300 answer moved the allocation to `server` (followed once) */
  redirected: [server: TransportAddress];
  /** a Refresh succeeded: the lifetime granted, seconds */
  refreshed: [lifetime: number];
  /** the socket is finished: no timer left, nothing more is sent */
  close: [];
}

// node:events' EventEmitter at run time; typed over TurnSocketEvents for the compiler.
const TurnSocketEmitter = EventEmitter as unknown as new () => TypedEventEmitter<TurnSocketEvents> &
  Omit<EventEmitter, keyof TypedEventEmitter<TurnSocketEvents>>;

/** What `TurnSocket.allocate` resolves with. */
export interface TurnAllocated {
  /** The relayed transport address (XOR-RELAYED-ADDRESS). */
  relayedAddress: TransportAddress;
  /** Our server-reflexive address as the server saw it (XOR-MAPPED-ADDRESS), if it sent one. */
  mappedAddress: TransportAddress | undefined;
}

interface Waiter {
  match: (e: TurnEvent) => boolean;
  resolve: (e: TurnEvent) => void;
  reject: (err: Error) => void;
  what: 'allocate' | 'request';
}

/**
 * A TURN allocation that behaves like a datagram socket: `send(data, peer)`, `'message'` (data, peer),
 * `relayedAddress`, `close()`. Events (typed by TurnSocketEvents): 'message', 'error' (fatal TurnError;
 * only emitted when listened to), 'warning' (TurnError, peer: a permission or channel was refused),
 * 'redirected' (server), 'refreshed' (lifetime), 'close'.
 */
export class TurnSocket extends TurnSocketEmitter {
  private readonly core: TurnAllocation;
  private readonly kind: TurnTransport | 'shared';
  private readonly sender: TurnDatagramSender | undefined;
  private readonly options: TurnSocketOptions;
  private udp: dgram.Socket | undefined;
  private stream: net.Socket | undefined;
  private readonly timer = new DeadlineTimer(() => {
    if (this.finished) return;
    this.core.handleTimeout(now());
    this.pump();
  }, now);
  private waiters: Waiter[] = [];
  private finished = false;
  private closing: Promise<void> | undefined;

  constructor(options: TurnSocketOptions) {
    super();
    this.options = options;
    const t = options.transport ?? 'udp';
    this.kind = typeof t === 'string' ? t : 'shared';
    this.sender = typeof t === 'string' ? undefined : t;
    this.core = new TurnAllocation({ ...options, transport: this.kind === 'shared' ? 'udp' : this.kind });
  }

  /** The relayed transport address, once allocated. */
  get relayedAddress(): TransportAddress | undefined {
    return this.core.relayedAddress;
  }
  /** Our server-reflexive address as the server saw it, once allocated. */
  get mappedAddress(): TransportAddress | undefined {
    return this.core.mappedAddress;
  }
  /** allocation lifetime granted by the server, seconds (refreshed automatically) */
  get lifetime(): number {
    return this.core.lifetime;
  }
  /** The TURN server's transport address. */
  get server(): TransportAddress {
    return this.core.server;
  }
  /** Where the allocation is in its life. */
  get state() {
    return this.core.state;
  }
  /** Live counters. */
  get stats(): TurnStats {
    return this.core.stats;
  }

  /**
   * Opens the transport and allocates. Rejects with a TurnError; an abort of `signal` closes this
   * TurnSocket (deleting the allocation if the server made it) and rejects with an AbortError.
   */
  async allocate(options: TurnOperationOptions = {}): Promise<TurnAllocated> {
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal, 'the TURN allocation was aborted');
    // Checked first, so a closed socket never opens a transport that nothing would close again.
    if (this.finished || this.closing) throw closedError('allocate');
    const onAbort = () => void this.close().catch(() => {});
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (this.kind === 'udp') await this.openUdp();
      else if (this.kind === 'tcp' || this.kind === 'tls') await this.openStream(this.core.server);
      if (this.finished || this.closing) throw closedError('allocate');
      const done = this.waitFor((e) => e.type === 'allocated', 'allocate');
      this.core.allocate(now());
      this.pump();
      await done;
    } catch (error) {
      if (signal?.aborted) throw abortError(signal, 'the TURN allocation was aborted');
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return { relayedAddress: this.core.relayedAddress!, mappedAddress: this.core.mappedAddress };
  }

  /**
   * Refreshes the allocation now (RFC 8656 §8; it is also refreshed on its own before it expires) and
   * resolves with the lifetime granted, seconds. Rejects with a TurnError ('not-allocated' before
   * allocate() resolved; the fatal error when the Refresh fails); an abort of `signal` stops waiting
   * (the Refresh still completes) and rejects with an AbortError.
   */
  async refresh(options: TurnOperationOptions = {}): Promise<number> {
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal, 'the TURN refresh was aborted');
    if (this.finished || this.closing) throw closedError('request');
    const done = this.waitFor(
      (e) => e.type === 'refreshed',
      'request',
      signal,
      'the TURN refresh was aborted',
    );
    if (!this.core.refresh(now())) {
      this.dropWaiters();
      throw new TurnError(
        'not-allocated',
        'TURN refresh before the allocation was made: await allocate() first',
      );
    }
    this.pump();
    const e = await done;
    return e.type === 'refreshed' ? e.lifetime : this.core.lifetime;
  }

  /** Sends a datagram to the peer through the relay. Returns false when it was dropped. */
  send(data: Uint8Array, peer: TransportAddress): boolean {
    const ok = this.core.send(data, peer, now());
    this.pump();
    return ok;
  }

  /**
   * Installs a permission for the peer's IP; resolves once the server confirmed it. Rejects with a
   * TurnError; an abort of `signal` stops waiting (the request still completes) with an AbortError.
   */
  async createPermission(peer: TransportAddress, options: TurnOperationOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal, 'the TURN permission request was aborted');
    if (this.core.hasPermission(peer, now())) return;
    const done = this.waitFor(
      (e) =>
        (e.type === 'permission' && e.peer.address === peer.address) ||
        (e.type === 'warning' && e.peer?.address === peer.address),
      'request',
      signal,
      'the TURN permission request was aborted',
    );
    this.core.createPermission(peer, now());
    this.pump();
    const e = await done;
    if (e.type === 'warning') throw e.error;
  }

  /**
   * Binds a channel to the peer; resolves with the channel number once bound. Rejects with a
   * TurnError; an abort of `signal` stops waiting (the request still completes) with an AbortError.
   */
  async bindChannel(peer: TransportAddress, options: TurnOperationOptions = {}): Promise<number> {
    const { signal } = options;
    if (signal?.aborted) throw abortError(signal, 'the TURN channel binding was aborted');
    const existing = this.core.boundChannel(peer);
    if (existing !== undefined) return existing;
    const done = this.waitFor(
      (e) =>
        (e.type === 'channel' && sameTransportAddress(e.peer, peer)) ||
        (e.type === 'warning' && e.peer?.address === peer.address),
      'request',
      signal,
      'the TURN channel binding was aborted',
    );
    const channel = this.core.bindChannel(peer, now());
    this.pump();
    if (channel === undefined) {
      this.dropWaiters();
      throw new TurnError('protocol', 'no TURN channel number left for this peer');
    }
    const e = await done;
    if (e.type === 'warning') throw e.error;
    return channel;
  }

  /**
   * For transport { send }: a datagram the caller's socket received. Returns true when it was the TURN
   * server's (response, Data indication, ChannelData) and was consumed.
   */
  handleDatagram(data: Uint8Array, from: TransportAddress): boolean {
    const consumed = this.core.handleInput(data, from, now());
    if (consumed) this.pump();
    return consumed;
  }

  /**
   * Deletes the allocation (Refresh LIFETIME 0, RFC 8656 §8) and closes the transport this socket
   * opened. Requests still in flight (allocate, createPermission, bindChannel) are rejected at once
   * with a 'closed' TurnError. Resolves when the server confirmed the deletion, when the deletion
   * timed out (deadline) or when the caller's socket was found closed; from then on no timer is
   * left and nothing is sent. An abort of `signal` stops waiting for the server: the socket is
   * finished at once (the server frees the allocation when its lifetime runs out) and the promise
   * rejects with an AbortError.
   */
  close(options: TurnOperationOptions = {}): Promise<void> {
    const { signal } = options;
    if (this.finished) return Promise.resolve();
    if (!this.closing) {
      this.closing = new Promise<void>((resolve) => {
        this.once('close', () => resolve());
        this.rejectWaiters();
        this.core.close(now());
        this.pump();
      });
    }
    const closing = this.closing;
    if (signal === undefined) return closing;
    if (signal.aborted && !this.finished) this.finish(undefined);
    if (this.finished) {
      return signal.aborted
        ? Promise.reject(abortError(signal, 'closing the TURN allocation was aborted'))
        : Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.finish(undefined);
        reject(abortError(signal, 'closing the TURN allocation was aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      void closing.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private waitFor(
    match: (e: TurnEvent) => boolean,
    what: 'allocate' | 'request' = 'request',
    signal?: AbortSignal,
    abortMessage?: string,
  ): Promise<TurnEvent> {
    return new Promise((resolve, reject) => {
      if (this.finished || this.closing) {
        reject(closedError(what));
        return;
      }
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortError(signal as AbortSignal, abortMessage));
      };
      const waiter: Waiter = {
        match,
        resolve: (e) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(e);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
        what,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Forgets the waiter just added (its request was never sent). */
  private dropWaiters(): void {
    const w = this.waiters.pop();
    w?.resolve({ type: 'closed' });
  }

  private async openUdp(): Promise<void> {
    const socket = dgram.createSocket(this.core.server.family === 'IPv6' ? 'udp6' : 'udp4');
    this.udp = socket;
    socket.on('message', (msg, rinfo) => {
      const from: TransportAddress = {
        family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4',
        address: rinfo.address,
        port: rinfo.port,
      };
      this.core.handleInput(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), from, now());
      this.pump();
    });
    socket.on('error', () => {
      // ICMP-driven send errors surface as timeouts in the core; nothing to do here.
    });
    await new Promise<void>((resolve, reject) => {
      // close() while binding closes the socket, and then dgram never calls the bind callback.
      const onClose = () => reject(closedError('allocate'));
      socket.once('error', reject);
      socket.once('close', onClose);
      socket.bind({ port: 0, address: this.options.localAddress }, () => {
        socket.off('error', reject);
        socket.off('close', onClose);
        resolve();
      });
    });
  }

  private openStream(server: TransportAddress): Promise<void> {
    return new Promise((resolve, reject) => {
      const framer = new StunStreamFramer();
      const onConnectError = (err: Error) =>
        reject(
          new TurnError(
            'server-unreachable',
            `cannot connect to TURN server ${server.address}:${server.port} over ${this.kind}: ${err.message}`,
            { cause: err },
          ),
        );
      let connected = false;
      const onConnect = () => {
        connected = true;
        socket.off('error', onConnectError);
        resolve();
      };
      const socket: net.Socket =
        this.kind === 'tls'
          ? tls.connect({ host: server.address, port: server.port, ...this.options.tls }, onConnect)
          : net.connect({ host: server.address, port: server.port }, onConnect);
      socket.setNoDelay(true);
      socket.once('error', onConnectError);
      socket.on('error', () => {
        // reported through 'close' below
      });
      socket.on('data', (chunk: Buffer) => {
        if (this.stream !== socket) return;
        const frames = framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
        if (framer.broken) {
          // Not STUN or ChannelData (RFC 8656 §12.5): the stream cannot be resynchronised.
          this.core.stats.malformed++;
          socket.destroy();
          return;
        }
        const at = now();
        for (const f of frames) this.core.handleInput(f, server, at);
        this.pump();
      });
      socket.on('close', () => {
        // Closed before it connected (by close(), or by the server without an error): settle the
        // connect, which would otherwise wait forever (a no-op when an error already rejected it).
        if (!connected)
          reject(
            this.finished
              ? closedError('allocate')
              : new TurnError(
                  'server-unreachable',
                  `TURN server ${server.address}:${server.port} closed the ${this.kind} connection before it was established`,
                ),
          );
        if (this.stream !== socket) return;
        this.stream = undefined;
        this.core.handleConnectionClosed(now());
        this.pump();
      });
      this.stream = socket;
    });
  }

  private pump(): void {
    for (let e = this.core.pollEvent(); e; e = this.core.pollEvent()) this.dispatch(e);
    for (let t = this.core.pollTransmit(); t; t = this.core.pollTransmit()) {
      // Once finished nothing is sent: the transport is closed or no longer ours to use.
      if (!this.finished) this.transmit(t.data, t.destination);
    }
    this.schedule();
  }

  private transmit(data: Uint8Array, destination: TransportAddress): void {
    try {
      if (this.sender) this.sender.send(data, destination);
      else if (this.udp) this.udp.send(data, destination.port, destination.address);
      else if (this.stream && !this.stream.destroyed) {
        // A datagram socket drops when its buffer is full; so does this one for data (never for requests).
        if (this.stream.writableLength > STREAM_BUFFER_LIMIT && isData(data)) this.core.stats.dropped++;
        else this.stream.write(data);
      }
    } catch (err) {
      // dgram throws synchronously only when the socket is closed (ERR_SOCKET_DGRAM_NOT_RUNNING) or the
      // destination is unusable: typically the caller closed the socket it shares with us. Nothing can
      // be sent or received any more, so stop here rather than throw again from every retransmission
      // timer. A deletion that cannot be sent is given up: the server frees the allocation when its
      // time-to-expiry runs out (RFC 8656 §6).
      const reason = err instanceof Error ? err.message : String(err);
      if (this.closing) this.finish(undefined);
      else
        this.finish(
          new TurnError(
            'connection-lost',
            `cannot send to TURN server ${destination.address}:${destination.port} (${reason}): the socket under the allocation is closed; allocate again`,
            { cause: err },
          ),
        );
    }
  }

  private schedule(): void {
    this.timer.set(this.finished ? undefined : this.core.pollTimeout());
  }

  private dispatch(e: TurnEvent): void {
    for (const w of [...this.waiters]) {
      if (w.match(e)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
    switch (e.type) {
      case 'data':
        this.emit('message', e.data, e.peer);
        return;
      case 'warning':
        this.emit('warning', e.error, e.peer);
        return;
      case 'refreshed':
        this.emit('refreshed', e.lifetime);
        return;
      case 'redirected':
        this.emit('redirected', e.server);
        if (this.kind === 'tcp' || this.kind === 'tls') {
          this.stream?.destroy();
          this.stream = undefined;
          void this.openStream(e.server).catch((err: TurnError) => this.finish(err));
        }
        return;
      case 'failed':
        this.finish(e.error);
        return;
      case 'closed':
        this.finish(undefined);
        return;
      default:
        return;
    }
  }

  /** Settles every request in flight: with `error`, or as closed. */
  private rejectWaiters(error?: TurnError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error ?? closedError(w.what));
  }

  private finish(error: TurnError | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.rejectWaiters(error);
    this.timer.clear();
    this.udp?.close();
    this.udp = undefined;
    const stream = this.stream;
    this.stream = undefined;
    stream?.end();
    stream?.destroy();
    if (error && this.listenerCount('error') > 0) this.emit('error', error);
    this.emit('close');
  }
}

const STREAM_BUFFER_LIMIT = 4 * 1024 * 1024;

function closedError(what: 'allocate' | 'request'): TurnError {
  return new TurnError(
    'closed',
    what === 'allocate'
      ? 'TURN socket was closed before the allocation was made: create a new TurnSocket to allocate again'
      : 'TURN socket was closed before the request completed: create a new TurnSocket to allocate again',
  );
}

/** ChannelData or a STUN indication (Send): data that may be dropped like a datagram. */
function isData(bytes: Uint8Array): boolean {
  const first = bytes[0] ?? 0;
  if (first >= 0x40) return true;
  const type = (first << 8) | (bytes[1] ?? 0);
  return (type & 0x0110) === 0x0010;
}

function now(): number {
  return performance.now();
}
