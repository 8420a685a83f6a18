// Node adapter: drives the sans-IO GatewayMappingClient through one operation over node:dgram.
import { createSocket } from 'node:dgram';
import { abortError } from '../abort.js';
import { PortMappingError } from '../errors.js';
import type { GatewayClientEvent, GatewayMappingClient } from '../gateway-client.js';

export interface GatewayExchangeOptions {
  host: string;
  port: number;
  signal?: AbortSignal | undefined;
  /**
   * When this aborts, nothing more is sent (no retransmission, no fallback to NAT-PMP) but answers
   * to what was sent are still taken, until `signal` aborts: a request that may have reached the
   * gateway is not abandoned blind (mapPort's race is over, its answer still says what was made).
   */
  quiet?: AbortSignal | undefined;
}

/**
 * Runs `begin(now)` (start, renew or delete) and resolves with the client's next outcome event.
 * Only datagrams from host:port reach the client (RFC 6886 §3.1, RFC 6887 §8.3).
 */
export function runGatewayOperation(
  client: GatewayMappingClient,
  begin: (now: number) => void,
  options: GatewayExchangeOptions,
): Promise<Exclude<GatewayClientEvent, { type: 'failed' }>> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (err: Error | undefined, ev?: Exclude<GatewayClientEvent, { type: 'failed' }>): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      options.quiet?.removeEventListener('abort', onQuiet);
      socket.close();
      if (err !== undefined || ev === undefined) reject(err);
      else resolve(ev);
    };
    const onAbort = (): void =>
      finish(abortError(options.signal as AbortSignal, 'port mapping request aborted'));
    const onQuiet = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    const pump = (): void => {
      if (settled) return;
      for (let out = client.pollTransmit(); out !== undefined; out = client.pollTransmit()) {
        socket.send(out, options.port, options.host, (err) => {
          if (err)
            finish(
              new PortMappingError('no-gateway', `cannot reach gateway ${options.host}: ${err.message}`, {
                cause: err,
              }),
            );
        });
      }
      const ev = client.pollEvent();
      if (ev !== undefined) {
        finish(ev.type === 'failed' ? ev.error : undefined, ev.type === 'failed' ? undefined : ev);
        return;
      }
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const at = options.quiet?.aborted ? undefined : client.pollTimeout();
      if (at !== undefined) {
        timer = setTimeout(
          () => {
            client.handleTimeout(Date.now());
            pump();
          },
          Math.max(0, at - Date.now()),
        );
      }
    };
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    options.quiet?.addEventListener('abort', onQuiet, { once: true });
    socket.on('error', (err) =>
      finish(new PortMappingError('no-gateway', `gateway socket error: ${err.message}`, { cause: err })),
    );
    socket.on('message', (msg, rinfo) => {
      if (rinfo.address !== options.host || rinfo.port !== options.port) return;
      client.handleInput(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), Date.now());
      pump();
    });
    socket.bind(0, () => {
      begin(Date.now());
      pump();
    });
  });
}
