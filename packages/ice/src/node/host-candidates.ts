// Minimal host-candidate gathering: one UDP socket per local interface address. The gather package
// replaces this through the CandidateGatherer interface (server-reflexive, relayed, port-mapped ...).
import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { TransportAddress } from '@p2pcat/stun';

/** A bound UDP socket serving as a candidate base. */
export interface BaseSocket {
  /** The socket's local transport address. */
  readonly address: TransportAddress;
  /** The bound socket. */
  readonly socket: dgram.Socket;
  /** RFC 8445 §5.1.2.1 local preference of its host candidate (0..65535, default 65535) */
  readonly localPreference?: number;
}

/** Supplies the base sockets (and extra candidates) of an IceConnection. */
export interface CandidateGatherer {
  /** Binds the base sockets. */
  gather(): Promise<BaseSocket[]>;
}

/** Options of `HostGatherer`. */
export interface HostGathererOptions {
  /** Addresses to bind; default every non-internal IPv4 interface address (loopback if there is none). */
  addresses?: string[];
  /** Include IPv6 interface addresses (non-link-local) in the default list. */
  ipv6?: boolean;
  /** Port to bind on each address; default 0 (any). */
  port?: number;
}

export function defaultHostAddresses(ipv6 = false): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) {
      if (i.internal) continue;
      if (i.family === 'IPv4') out.push(i.address);
      else if (ipv6 && !i.address.toLowerCase().startsWith('fe80')) out.push(i.address);
    }
  }
  return out.length > 0 ? out : ['127.0.0.1'];
}

/** Binds a UDP socket on `address` (port 0: any) as a candidate base. */
export function bindBase(address: string, port = 0): Promise<BaseSocket> {
  const v6 = address.includes(':');
  const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4' });
  return new Promise((resolve, reject) => {
    socket.once('error', (e) =>
      reject(new Error(`cannot bind a UDP socket on ${address}:${port}: ${e.message}`)),
    );
    socket.bind(port, address, () => {
      const a = socket.address();
      resolve({ socket, address: { family: v6 ? 'IPv6' : 'IPv4', address: a.address, port: a.port } });
    });
  });
}

export class HostGatherer implements CandidateGatherer {
  constructor(private readonly options: HostGathererOptions = {}) {}
  /** Binds one socket per address. */
  async gather(): Promise<BaseSocket[]> {
    const addrs = this.options.addresses ?? defaultHostAddresses(this.options.ipv6);
    return Promise.all(addrs.map((a) => bindBase(a, this.options.port ?? 0)));
  }
}
