import type { AddressFamily, TransportAddress } from '../address.js';

/** Typed attribute values, keyed by the RFC's attribute name with '_' for '-'. */
export interface AttributeValues {
  /** MAPPED-ADDRESS: the reflexive transport address, in clear. */
  MAPPED_ADDRESS: TransportAddress;
  /** XOR-MAPPED-ADDRESS: the reflexive transport address, decoded. */
  XOR_MAPPED_ADDRESS: TransportAddress;
  /** USERNAME, as text. */
  USERNAME: string;
  /** USERHASH: 32 bytes of SHA-256. */
  USERHASH: Uint8Array;
  /** REALM, as text. */
  REALM: string;
  /** NONCE, as text. */
  NONCE: string;
  /** SOFTWARE, as text. */
  SOFTWARE: string;
  /** ERROR-CODE: the error code (300..699) and its reason phrase. */
  ERROR_CODE: {
    /** The error code, 300..699. */
    code: number;
    /** The reason phrase. */
    reason: string;
  };
  /** PASSWORD-ALGORITHMS: each algorithm number with its parameters. */
  PASSWORD_ALGORITHMS: {
    /** The algorithm number (see `PasswordAlgorithm`). */
    algorithm: number;
    /** The algorithm's parameters. */
    parameters: Uint8Array;
  }[];
  /** PASSWORD-ALGORITHM: the algorithm number with its parameters. */
  PASSWORD_ALGORITHM: {
    /** The algorithm number (see `PasswordAlgorithm`). */
    algorithm: number;
    /** The algorithm's parameters. */
    parameters: Uint8Array;
  };
  /** UNKNOWN-ATTRIBUTES: the attribute types not understood. */
  UNKNOWN_ATTRIBUTES: number[];
  /** ALTERNATE-SERVER: the transport address of another server. */
  ALTERNATE_SERVER: TransportAddress;
  /** ALTERNATE-DOMAIN, as text. */
  ALTERNATE_DOMAIN: string;
  /** PRIORITY: a 32-bit candidate priority. */
  PRIORITY: number;
  /** USE-CANDIDATE: present or absent, no value. */
  USE_CANDIDATE: true;
  /** ICE-CONTROLLED: the 64-bit tie-breaker. */
  ICE_CONTROLLED: bigint;
  /** ICE-CONTROLLING: the 64-bit tie-breaker. */
  ICE_CONTROLLING: bigint;
  /** CHANNEL-NUMBER: 0x4000..0x4fff. */
  CHANNEL_NUMBER: number;
  /** LIFETIME, in seconds. */
  LIFETIME: number;
  /** XOR-PEER-ADDRESS: a peer's transport address, decoded. */
  XOR_PEER_ADDRESS: TransportAddress;
  /** DATA: the relayed datagram. */
  DATA: Uint8Array;
  /** XOR-RELAYED-ADDRESS: the relayed transport address, decoded. */
  XOR_RELAYED_ADDRESS: TransportAddress;
  /** REQUESTED-ADDRESS-FAMILY: the family asked for. */
  REQUESTED_ADDRESS_FAMILY: AddressFamily;
  /** EVEN-PORT: whether the next port is to be reserved as well. */
  EVEN_PORT: {
    /** Reserve the next higher port for a later allocation. */
    reserve: boolean;
  };
  /** REQUESTED-TRANSPORT: the IP protocol number (17 for UDP). */
  REQUESTED_TRANSPORT: number;
  /** DONT-FRAGMENT: present or absent, no value. */
  DONT_FRAGMENT: true;
  /** RESERVATION-TOKEN: 8 bytes. */
  RESERVATION_TOKEN: Uint8Array;
  /** ADDITIONAL-ADDRESS-FAMILY: the second family asked for. */
  ADDITIONAL_ADDRESS_FAMILY: AddressFamily;
  /** ADDRESS-ERROR-CODE: the family that failed, with an error code and reason phrase. */
  ADDRESS_ERROR_CODE: {
    /** The address family that was not allocated. */
    family: AddressFamily;
    /** The error code, 300..699. */
    code: number;
    /** The reason phrase. */
    reason: string;
  };
  /** ICMP: the ICMP type, code and error data. */
  ICMP: {
    /** The ICMP type. */
    type: number;
    /** The ICMP code. */
    code: number;
    /** The ICMP error data (such as the MTU of a fragmentation-needed error). */
    data: number;
  };
  /** CHANGE-REQUEST: whether to answer from another IP address and/or port. */
  CHANGE_REQUEST: {
    /** Answer from the other IP address. */
    changeIp: boolean;
    /** Answer from the other port. */
    changePort: boolean;
  };
  /** RESPONSE-ORIGIN: where the response was sent from. */
  RESPONSE_ORIGIN: TransportAddress;
  /** OTHER-ADDRESS: the server's alternate transport address. */
  OTHER_ADDRESS: TransportAddress;
  /** RESPONSE-PORT: the port to answer to. */
  RESPONSE_PORT: number;
  /** PADDING: the padding bytes. */
  PADDING: Uint8Array;
}

/** The name of a typed attribute, such as `'XOR_MAPPED_ADDRESS'`. */
export type AttributeName = keyof AttributeValues;
