import type { StunMessage, TransportAddress } from '../codec/index.js';

/** RFC 4787 §4.1 mapping behaviour, as RFC 5780 §4.3 measures it. */
export type MappingBehavior =
  | 'no-nat'
  | 'endpoint-independent'
  | 'address-dependent'
  | 'address-and-port-dependent'
  | 'unknown';

/** RFC 4787 §5 filtering behaviour, as RFC 5780 §4.4 measures it. */
export type FilteringBehavior =
  | 'endpoint-independent'
  | 'address-dependent'
  | 'address-and-port-dependent'
  | 'unknown';

/** What RFC 5780 tests found out about the NAT between a socket and a STUN server. */
export interface NatBehavior {
  /** The STUN server asked (its primary address). */
  server: TransportAddress;
  /** The local address of the socket the mapping tests ran on. */
  local: TransportAddress;
  /** Our reflexive address as the server saw it (test I). */
  mapped: TransportAddress;
  /** False when the mapped address is the local one (RFC 5780 §4.3: no NAT). */
  natPresent: boolean;
  /** How the NAT maps: whether the mapped address depends on the destination. */
  mapping: MappingBehavior;
  /** How the NAT filters: which remote addresses may send back through a mapping. */
  filtering: FilteringBehavior;
  /** Whether a packet to our own mapped address comes back to us; undefined if not measured. */
  hairpinning: boolean | undefined;
  /** Whether the NAT kept the local port as the mapped port. */
  portPreservation: boolean;
  /** Whether the server supports RFC 5780 (sent OTHER-ADDRESS and honoured CHANGE-REQUEST). */
  rfc5780: boolean;
  /** Plain words: what it means for direct connections. */
  summary: string;
  /** Why something is 'unknown', one line each. */
  notes: string[];
}

/** The flags of a CHANGE-REQUEST attribute (RFC 5780 §7.2). */
export interface ChangeRequest {
  /** Ask the server to answer from its other IP address. */
  changeIp: boolean;
  /** Ask the server to answer from its other port. */
  changePort: boolean;
}

/** One local UDP socket the tests send Binding requests from. */
export interface BindingProbe {
  /** The local transport address of this probe's socket. */
  readonly local: TransportAddress;
  /**
   * Sends a Binding request (with CHANGE-REQUEST if given) and resolves with the response, or
   * undefined when none came within the probe budget. `responseSource` is where the answer must
   * come from when CHANGE-REQUEST moves it.
   */
  binding(
    destination: TransportAddress,
    change?: ChangeRequest,
    responseSource?: TransportAddress,
  ): Promise<StunMessage | undefined>;
  /** Sends a Binding request to `destination`; resolves true if that very request arrives back on this socket. */
  hairpin(destination: TransportAddress): Promise<boolean>;
  /** Closes the probe's socket. */
  close(): void;
}

/** Opens a fresh local socket (a new NAT mapping) for each group of tests. */
export type OpenProbe = () => Promise<BindingProbe>;
