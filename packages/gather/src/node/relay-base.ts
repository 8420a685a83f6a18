// A relayed candidate's base: the TURN allocation, which looks like a datagram socket.
import type { TransportAddress } from '@p2pcat/stun';
import type { TurnSocket } from '@p2pcat/turn';
import type { CandidateBase } from '../candidate.js';

type Handler = (data: Uint8Array, from: TransportAddress) => void;

export class RelayBase implements CandidateBase {
  /** Always 'relay'. */
  readonly kind = 'relay' as const;
  readonly interfaceName = 'relay';
  private readonly handlers = new Set<Handler>();
  private readonly claimers = new Set<(data: Uint8Array, from: TransportAddress) => boolean>();

  constructor(
    /** The TURN client holding the allocation. */
    readonly turn: TurnSocket,
    readonly local: TransportAddress,
    /** the server URL, without its password */
    readonly server: string,
  ) {
    turn.on('message', (data: Uint8Array, peer: TransportAddress) => {
      for (const claim of this.claimers) if (claim(data, peer)) return;
      for (const h of this.handlers) h(data, peer);
    });
  }

  /** Sends a datagram to a peer through the relay. */
  send(data: Uint8Array, to: TransportAddress): void {
    this.turn.send(data, to);
  }

  onDatagram(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  intercept(claim: (data: Uint8Array, from: TransportAddress) => boolean): () => void {
    this.claimers.add(claim);
    return () => this.claimers.delete(claim);
  }

  /** Deletes the allocation and closes the TURN client. */
  close(): Promise<void> {
    this.handlers.clear();
    return this.turn.close().catch(() => {});
  }
}
