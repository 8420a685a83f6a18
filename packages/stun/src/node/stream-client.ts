import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { abortError } from '../abort.js';
import { formatTransportAddress } from '../address.js';
import type { StunMessageBuilder, TransportAddress } from '../codec/index.js';
import { StunStreamFramer } from '../transaction/stream-framing.js';
import { transportAddressFromNode } from './address.js';
import { StunClientError } from './errors.js';
import { type RequestOptions, StunClient, type StunResponse } from './stun-client.js';

/** Options of `StunStreamClient.connect`. */
export interface StunStreamConnectOptions {
  /** Use TLS (RFC 8489 §6.2.3) with these options; plain TCP when absent. */
  tls?: ConnectionOptions;
  /** Aborts the connection attempt. */
  signal?: AbortSignal;
  /** ms allowed for the TCP (and TLS) handshake, default 10 000. */
  connectTimeout?: number;
}

/**
 * A STUN client over one TCP or TLS connection (RFC 8489 §6.2.2): messages framed by their
 * length, one send per request and a single Ti timeout (39.5 s by default) per transaction.
 * Messages that answer no request (indications, ChannelData) go to `onMessage`.
 */
export class StunStreamClient {
  /** The local transport address of the connection. */
  readonly local: TransportAddress;
  /** The server's transport address. */
  readonly remote: TransportAddress;
  /** Called with each framed message that is not a response to one of our requests. */
  onMessage: ((data: Uint8Array) => void) | undefined;
  readonly #socket: Socket;
  readonly #client: StunClient;

  private constructor(socket: Socket, remote: TransportAddress) {
    this.#socket = socket;
    this.remote = remote;
    this.local = transportAddressFromNode(socket.localAddress ?? '0.0.0.0', socket.localPort ?? 0);
    this.#client = new StunClient({ reliable: true, send: (data) => socket.write(data) });
    const framer = new StunStreamFramer();
    socket.on('data', (chunk: Buffer) => {
      for (const m of framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        if (!this.#client.handleMessage(m, remote)) this.onMessage?.(m);
      }
      if (framer.broken) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => this.#client.close());
  }

  /**
   * Opens a TCP (or, with `tls`, TLS) connection to a STUN server and resolves with a client on it.
   */
  static connect(
    server: TransportAddress,
    options: StunStreamConnectOptions = {},
  ): Promise<StunStreamClient> {
    const { tls, signal, connectTimeout = 10_000 } = options;
    return new Promise((resolve, reject) => {
      const where = formatTransportAddress(server);
      const socket = tls
        ? tlsConnect({ ...tls, host: server.address, port: server.port })
        : netConnect({ host: server.address, port: server.port });
      const fail = (error: Error) => {
        cleanup();
        socket.destroy();
        reject(error);
      };
      const onError = (e: Error) =>
        fail(
          new StunClientError('send-failed', `cannot connect to STUN server ${where}: ${e.message}`, {
            cause: e,
          }),
        );
      const onAbort = () =>
        fail(abortError(signal as AbortSignal, `connecting to STUN server ${where} was aborted`));
      const timer = setTimeout(
        () =>
          fail(new StunClientError('timeout', `STUN server ${where} did not accept the connection in time`)),
        connectTimeout,
      );
      const cleanup = () => {
        clearTimeout(timer);
        socket.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('error', onError);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        cleanup();
        resolve(new StunStreamClient(socket, server));
      });
    });
  }

  /**
   * Sends a request over the connection and resolves with its response (no retransmissions: the
   * transport is reliable).
   */
  request(request: Uint8Array | StunMessageBuilder, options: RequestOptions = {}): Promise<StunResponse> {
    return this.#client.request(request, this.remote, { ...options, reliable: true });
  }

  /** Sends an already framed message (an indication, ChannelData padded to 4 bytes). */
  write(data: Uint8Array): void {
    this.#socket.write(data);
  }

  /** Closes the connection; pending requests reject. */
  close(): void {
    this.#client.close();
    this.#socket.destroy();
  }
}
