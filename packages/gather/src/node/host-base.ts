// A host candidate's UDP socket. One socket per local address carries everything for that base:
// STUN to servers, TURN control and ChannelData, ICE checks and application data. Each datagram is
// offered to the claimers first (STUN clients, TURN allocations: they recognise their own
// transactions and channels), then to the ordinary handlers.
import type { Socket } from 'node:dgram';
import type { TransportAddress } from '@p2pcat/stun';
import type { CandidateBase } from '../candidate.js';

type Handler = (data: Uint8Array, from: TransportAddress) => void;
type Claimer = (data: Uint8Array, from: TransportAddress) => boolean;

export class HostBase implements CandidateBase {
  readonly kind = 'host' as const;
  private readonly handlers = new Set<Handler>();
  private readonly claimers = new Set<Claimer>();
  private closed = false;

  constructor(
    readonly socket: Socket,
    readonly local: TransportAddress,
    readonly interfaceName: string,
  ) {
    socket.on('message', (msg, rinfo) => {
      const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      const from: TransportAddress = {
        family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4',
        address: rinfo.address,
        port: rinfo.port,
      };
      for (const claim of this.claimers) if (claim(data, from)) return;
      for (const h of this.handlers) h(data, from);
    });
    // A datagram socket reports ICMP errors of earlier sends as 'error'; they are not fatal.
    socket.on('error', () => {});
  }

  send(data: Uint8Array, to: TransportAddress): void {
    if (this.closed) return;
    this.socket.send(data, to.port, to.address);
  }

  onDatagram(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  intercept(claim: Claimer): () => void {
    this.claimers.add(claim);
    return () => this.claimers.delete(claim);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.handlers.clear();
    this.claimers.clear();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
