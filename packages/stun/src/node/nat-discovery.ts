import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { abortError } from '../abort.js';
import { discoverNatBehaviorWith } from '../behavior/discovery.js';
import type { BindingProbe, ChangeRequest, NatBehavior } from '../behavior/types.js';
import { bytesToHex } from '../codec/bytes.js';
import {
  decodeStunMessage,
  demultiplex,
  StunMessageBuilder,
  StunMethod,
  type TransportAddress,
} from '../codec/index.js';
import { StunError } from '../errors.js';
import { parseHostPort, transportAddressFromNode } from './address.js';
import { StunClientError } from './errors.js';
import { resolveServerAddresses, type ServerLookup } from './resolve.js';
import { StunClient } from './stun-client.js';

/** Options of `discoverNatBehavior`. */
export interface DiscoverNatBehaviorOptions {
  /** Local IP to test from; default: the one the routing table picks toward the server. */
  localAddress?: string;
  /** ms each test waits for its answer, default 3000 (a missing answer is itself a result). */
  probeTimeout?: number;
  /** Initial RTO of each test's retransmissions, default 500 ms (RFC 8489 §6.2.1). */
  rto?: number;
  /** The resolver for a server name, default the system's (dns.lookup, /etc/hosts honoured). */
  lookup?: ServerLookup;
  /** Stops the tests and closes their sockets: the call rejects with an AbortError. */
  signal?: AbortSignal;
}

/**
 * RFC 5780 NAT behaviour discovery from this host against an RFC 5780 STUN server (coturn with
 * two addresses, or ours started with an alternate address): mapping, filtering, hairpinning and
 * port preservation, with a plain-words summary. Takes about `probeTimeout` when the NAT filters.
 * Rejects with a StunError: 'timeout' (no answer to the first test), 'bad-response', 'no-route',
 * 'wrong-family', a name's ServerNameError or a HostPortError; with an AbortError when `signal` aborts.
 */
export async function discoverNatBehavior(
  server: string | TransportAddress,
  options: DiscoverNatBehaviorOptions = {},
): Promise<NatBehavior> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal, 'NAT behaviour discovery was aborted');
  const probeTimeout = options.probeTimeout ?? 3000;
  const rto = Math.min(options.rto ?? 500, probeTimeout);
  const targets =
    typeof server === 'string' ? await resolveAll(server, probeTimeout, options.lookup, signal) : [server];
  // RFC 5780 tests one address family at a time; a name with A and AAAA records is tested over
  // IPv4 (where NATs are) unless this host has no route there, then over IPv6.
  let target: TransportAddress | undefined;
  let localIp = options.localAddress;
  let lastError: unknown;
  for (const t of [...targets].sort((a, b) => (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1))) {
    if (localIp !== undefined && (localIp.includes(':') ? 'IPv6' : 'IPv4') !== t.family) continue;
    try {
      localIp ??= await routedSource(t);
      target = t;
      break;
    } catch (error) {
      lastError = error;
    }
  }
  if (target === undefined || localIp === undefined) {
    throw lastError instanceof Error
      ? lastError
      : new StunError(
          'wrong-family',
          `no ${options.localAddress?.includes(':') ? 'IPv6' : 'IPv4'} address for STUN server ${String(server)}`,
        );
  }
  const chosen = target;
  const from = localIp;
  // Every probe opened is closed on abort, which settles whatever test is waiting on it.
  const open = new Set<BindingProbe>();
  const onAbort = () => {
    for (const p of open) p.close();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await discoverNatBehaviorWith(async () => {
      if (signal?.aborted) throw abortError(signal, 'NAT behaviour discovery was aborted');
      const probe = await openUdpProbe(from, chosen.family, probeTimeout, rto, signal);
      open.add(probe);
      const close = () => {
        open.delete(probe);
        probe.close();
      };
      return { ...probe, close };
    }, chosen);
  } catch (error) {
    if (signal?.aborted) throw abortError(signal, 'NAT behaviour discovery was aborted');
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

async function resolveAll(
  text: string,
  timeout: number,
  lookup: ServerLookup | undefined,
  signal: AbortSignal | undefined,
): Promise<TransportAddress[]> {
  const { host, port } = parseHostPort(text);
  return resolveServerAddresses(host, port, {
    timeout,
    ...(lookup ? { lookup } : {}),
    ...(signal ? { signal } : {}),
  });
}

/** The source IP the kernel picks for packets to `target` (a connected UDP socket sends nothing). */
async function routedSource(target: TransportAddress): Promise<string> {
  const s = createSocket(target.family === 'IPv6' ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(target.port, target.address, () => resolve());
    });
    return s.address().address;
  } catch (error) {
    throw new StunError(
      'no-route',
      `no route to STUN server ${target.address}: check the network connection or pass a local address`,
      { cause: error },
    );
  } finally {
    s.close();
  }
}

async function openUdpProbe(
  localIp: string,
  family: 'IPv4' | 'IPv6',
  probeTimeout: number,
  rto: number,
  signal: AbortSignal | undefined,
): Promise<BindingProbe> {
  const socket: Socket = createSocket({ type: family === 'IPv6' ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, localIp, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', () => {});
  const info = socket.address();
  const local = transportAddressFromNode(info.address, info.port);
  const client = new StunClient({ send: (data, to) => socket.send(data, to.port, to.address) });
  const hairpinWaiters = new Map<string, (ok: boolean) => void>();
  let closed = false;
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    if (demultiplex(bytes) !== 'stun') return;
    if (client.handleMessage(bytes, transportAddressFromNode(rinfo.address, rinfo.port))) return;
    try {
      const m = decodeStunMessage(bytes);
      if (m.class === 'request') hairpinWaiters.get(bytesToHex(m.transactionId))?.(true);
    } catch {
      // not ours
    }
  });
  return {
    local,
    async binding(destination, change?: ChangeRequest, responseSource?: TransportAddress) {
      const request = new StunMessageBuilder('request', StunMethod.Binding);
      if (change !== undefined) request.add('CHANGE_REQUEST', change);
      try {
        const r = await client.request(request, destination, {
          rto,
          timeout: probeTimeout,
          ...(responseSource ? { responseSource } : {}),
          ...(signal ? { signal } : {}),
        });
        return r.message;
      } catch (error) {
        if (error instanceof StunClientError && error.code === 'timeout') return undefined;
        throw error;
      }
    },
    hairpin(destination) {
      const request = new StunMessageBuilder('request', StunMethod.Binding);
      const bytes = request.build();
      const id = bytesToHex(request.transactionId);
      return new Promise<boolean>((resolve) => {
        const timers: NodeJS.Timeout[] = [];
        const finish = (ok: boolean) => {
          for (const t of timers) clearTimeout(t);
          hairpinWaiters.delete(id);
          resolve(ok);
        };
        hairpinWaiters.set(id, finish);
        // A few sends against loss, like a transaction's first retransmissions.
        for (let at = 0, i = 0; at < probeTimeout && i < 3; i++, at = at * 2 + rto) {
          timers.push(
            setTimeout(() => {
              if (!closed) socket.send(bytes, destination.port, destination.address);
            }, at),
          );
        }
        timers.push(setTimeout(() => finish(false), probeTimeout));
      });
    },
    close() {
      if (closed) return;
      closed = true;
      client.close();
      for (const finish of [...hairpinWaiters.values()]) finish(false);
      socket.close();
    },
  };
}
