// A host candidate's UDP socket. One socket per local address carries everything for that base:
// STUN to servers, TURN control and ChannelData, ICE checks and application data. Each datagram is
// offered to the claimers first (STUN clients, TURN allocations: they recognise their own
// transactions and channels), then to the ordinary handlers.
import type { RemoteInfo, Socket } from 'node:dgram';
import type { TransportAddress } from '@p2pcat/stun';
import type { CandidateBase } from '../candidate.js';

type Handler = (data: Uint8Array, from: TransportAddress) => void;
type Claimer = (data: Uint8Array, from: TransportAddress) => boolean;

export class HostBase implements CandidateBase {
  /** Always 'host'. */
  readonly kind = 'host' as const;
  private readonly handlers = new Set<Handler>();
  private readonly claimers = new Set<Claimer>();
  private closed = false;
  private readonly listener: (msg: Buffer, rinfo: RemoteInfo) => void;

  constructor(
    /** The bound UDP socket. */
    readonly socket: Socket,
    readonly local: TransportAddress,
    readonly interfaceName: string,
  ) {
    this.listener = (msg: Buffer, rinfo: RemoteInfo) => {
      const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      const from: TransportAddress = {
        family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4',
        address: rinfo.address,
        port: rinfo.port,
      };
      for (const claim of this.claimers) if (claim(data, from)) return;
      for (const h of this.handlers) h(data, from);
    };
    socket.on('message', this.listener);
    // A datagram socket reports ICMP errors of earlier sends as 'error'; they are not fatal.
    socket.on('error', () => {});
  }

  /** Sends a datagram from the socket; does nothing once closed. */
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

  /**
   * Hands the socket to another owner (an ICE agent with its own receive loop): stops routing its
   * datagrams here and returns the claimers (TURN allocations) that the new owner must keep
   * offering datagrams to first.
   */
  detach(): ((data: Uint8Array, from: TransportAddress) => boolean)[] {
    this.socket.off('message', this.listener);
    const claimers = [...this.claimers];
    this.claimers.clear();
    this.handlers.clear();
    return claimers;
  }

  /** Closes the socket. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.handlers.clear();
    this.claimers.clear();
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed by whoever it was handed to
      }
    });
  }
}
