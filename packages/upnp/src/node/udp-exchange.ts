// Node adapter: drives a sans-IO RequestTransaction over a dgram socket.
import { createSocket } from 'node:dgram';
import { PortMappingError } from '../errors.js';
import type { RequestTransaction } from '../transaction.js';

export interface UdpExchangeOptions {
  host: string;
  port: number;
  signal?: AbortSignal | undefined;
  /** local address to bind, if any */
  localAddress?: string | undefined;
  /** what to call the protocol in a timeout message */
  what: string;
}

/**
 * Sends the transaction's request to host:port, retransmits on its schedule, and resolves with
 * the first accepted answer. Datagrams from any other address or port are dropped (RFC 6886 §3.1,
 * RFC 6887 §8.3: only answers from the server address and port count).
 */
export function runUdpExchange<R>(txn: RequestTransaction<R>, options: UdpExchangeOptions): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const socket = createSocket('udp4');
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (err: Error | undefined, value?: R): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.close();
      if (err !== undefined) reject(err);
      else resolve(value as R);
    };
    const onAbort = (): void => finish(new PortMappingError('aborted', `${options.what} request aborted`));
    const pump = (): void => {
      for (let out = txn.pollTransmit(); out !== undefined; out = txn.pollTransmit()) {
        socket.send(out, options.port, options.host, (err) => {
          if (err)
            finish(
              new PortMappingError(
                'no-gateway',
                `cannot reach ${options.what} server ${options.host}: ${err.message}`,
              ),
            );
        });
      }
      for (let ev = txn.pollEvent(); ev !== undefined; ev = txn.pollEvent()) {
        if (ev.type === 'response') {
          finish(undefined, ev.response);
          return;
        }
        if (ev.type === 'timeout') {
          finish(new PortMappingError('timeout', `no ${options.what} answer from ${options.host}`));
          return;
        }
      }
      if (timer !== undefined) clearTimeout(timer);
      const at = txn.pollTimeout();
      if (at !== undefined) {
        timer = setTimeout(
          () => {
            txn.handleTimeout(Date.now());
            pump();
          },
          Math.max(0, at - Date.now()),
        );
      }
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) =>
      finish(new PortMappingError('no-gateway', `${options.what} socket error: ${err.message}`)),
    );
    socket.on('message', (msg, rinfo) => {
      if (rinfo.address !== options.host || rinfo.port !== options.port) return;
      txn.handleInput(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), Date.now());
      pump();
    });
    socket.bind(0, options.localAddress, () => {
      txn.start(Date.now());
      pump();
    });
  });
}
