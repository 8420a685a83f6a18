import type { TransportAddress } from '@p2pcat/stun';

/** RFC 8445 §5.1.1: the kinds of candidate. A port-mapped candidate is advertised as 'srflx'. */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** What a candidate sends and receives through: a host socket or a TURN allocation. */
export interface CandidateBase {
  /** A host socket on an adapter, or a TURN allocation. */
  readonly kind: 'host' | 'relay';
  /** the socket's own address (for a relay: the relayed address) */
  readonly local: TransportAddress;
  /** the network adapter's name ('relay' for relayed bases) */
  readonly interfaceName: string;
  /** Sends one datagram from this base (through the relay for a relayed base). */
  send(data: Uint8Array, to: TransportAddress): void;
  /** every datagram not claimed by gathering's own STUN/TURN traffic; returns an unsubscribe */
  onDatagram(handler: (data: Uint8Array, from: TransportAddress) => void): () => void;
  /**
   * A handler that sees each datagram first and claims it by returning true (a STUN client, a
   * TURN allocation): datagrams are routed by transaction and channel, not by which server the
   * socket was opened for.
   */
  intercept(claim: (data: Uint8Array, from: TransportAddress) => boolean): () => void;
}

/**
 * RFC 8445 §5.1: what every candidate has, wherever it comes from: the gatherer's Candidate (below)
 * and the ICE agent's (`@p2pcat/ice`) both extend it.
 */
export interface CandidateAttributes {
  /** Host, server-reflexive, peer-reflexive or relayed. */
  readonly type: CandidateType;
  /** component ID, 1..256 (1 = RTP or the only component) */
  readonly component: number;
  /** RFC 8445 §5.1.2.1 (candidatePriority) */
  readonly priority: number;
  /** RFC 8445 §5.1.1.3: equal for candidates of the same type, base IP, server IP and transport */
  readonly foundation: string;
}

/** A gathered candidate: the RFC 8445 attributes, its address, and what found it. */
export interface Candidate extends CandidateAttributes {
  /** Host, server-reflexive, peer-reflexive or relayed. */
  type: CandidateType;
  /** Always UDP. */
  transport: 'udp';
  /** The component ID (1 for a single data stream). */
  component: number;
  /** The address family. */
  family: TransportAddress['family'];
  /** The candidate's IP address. */
  address: string;
  /** The candidate's port. */
  port: number;
  /** The candidate priority (RFC 8445 §5.1.2). */
  priority: number;
  /** The foundation (RFC 8445 §5.1.1.3). */
  foundation: string;
  /** base's address for srflx, the mapped address for relay (RFC 8839 raddr/rport) */
  relatedAddress?: TransportAddress;
  /** The socket or allocation this candidate sends and receives through. */
  base: CandidateBase;
  /** The network adapter's name ('relay' for relayed candidates). */
  interfaceName: string;
  /** 'host', the STUN/TURN server URL, or 'pcp' / 'nat-pmp' / 'upnp-igd' for a port mapping */
  source: string;
  /** ms from the start of gathering until this candidate was found */
  foundAfterMs: number;
}
