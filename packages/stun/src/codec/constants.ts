/** RFC 8489 §5: the fixed magic cookie in bytes 4..8 of every (non-classic) STUN header. */
export const MAGIC_COOKIE = 0x2112a442;

/** STUN header length in bytes (RFC 8489 §5). */
export const HEADER_LENGTH = 20;

/** The class of a STUN message, from the two class bits of its type (RFC 8489 §5). */
export type MessageClass = 'request' | 'indication' | 'success' | 'error';

/** Methods of RFC 8489 §18.2 and RFC 8656 §17. */
export const StunMethod = {
  /** Binding (RFC 8489): learn the reflexive transport address; also ICE's connectivity check. */
  Binding: 0x001,
  /** Allocate (RFC 8656 §7): reserve a relayed transport address on a TURN server. */
  Allocate: 0x003,
  /** Refresh (RFC 8656 §8): extend or delete an allocation. */
  Refresh: 0x004,
  /** Send (RFC 8656 §11): an indication carrying data to a peer through the relay. */
  Send: 0x006,
  /** Data (RFC 8656 §11): an indication carrying data from a peer through the relay. */
  Data: 0x007,
  /** CreatePermission (RFC 8656 §9): let a peer's IP address send through the relay. */
  CreatePermission: 0x008,
  /** ChannelBind (RFC 8656 §12): bind a channel number to a peer for ChannelData framing. */
  ChannelBind: 0x009,
} as const;

/**
 * Attribute type codes: RFC 8489 §18.3, RFC 8445 §16.1 (ICE), RFC 8656 §18 (TURN),
 * RFC 5780 §7 (NAT behaviour discovery).
 */
export const AttributeType = {
  /** MAPPED-ADDRESS: the reflexive transport address, in clear (RFC 3489 compatibility). */
  MAPPED_ADDRESS: 0x0001,
  /** CHANGE-REQUEST (RFC 5780): ask the server to answer from another IP address and/or port. */
  CHANGE_REQUEST: 0x0003,
  /** USERNAME: the user name for message integrity. */
  USERNAME: 0x0006,
  /** MESSAGE-INTEGRITY: HMAC-SHA1 over the message. */
  MESSAGE_INTEGRITY: 0x0008,
  /** ERROR-CODE: the numeric error code and reason phrase of an error response. */
  ERROR_CODE: 0x0009,
  /** UNKNOWN-ATTRIBUTES: the comprehension-required attributes the server did not understand. */
  UNKNOWN_ATTRIBUTES: 0x000a,
  /** CHANNEL-NUMBER (TURN): the channel bound by a ChannelBind request. */
  CHANNEL_NUMBER: 0x000c,
  /** LIFETIME (TURN): seconds until the allocation expires. */
  LIFETIME: 0x000d,
  /** XOR-PEER-ADDRESS (TURN): a peer's transport address as the relay sees it. */
  XOR_PEER_ADDRESS: 0x0012,
  /** DATA (TURN): the application datagram of a Send or Data indication. */
  DATA: 0x0013,
  /** REALM: the realm of long-term credentials. */
  REALM: 0x0014,
  /** NONCE: the server's nonce for long-term credentials. */
  NONCE: 0x0015,
  /** XOR-RELAYED-ADDRESS (TURN): the relayed transport address of an allocation. */
  XOR_RELAYED_ADDRESS: 0x0016,
  /** REQUESTED-ADDRESS-FAMILY (TURN): the address family asked for the relayed address. */
  REQUESTED_ADDRESS_FAMILY: 0x0017,
  /** EVEN-PORT (TURN): ask for an even relayed port, optionally reserving the next one. */
  EVEN_PORT: 0x0018,
  /** REQUESTED-TRANSPORT (TURN): the transport protocol to relay (17 for UDP). */
  REQUESTED_TRANSPORT: 0x0019,
  /** DONT-FRAGMENT (TURN): ask the relay to set the DF bit towards peers. */
  DONT_FRAGMENT: 0x001a,
  /** MESSAGE-INTEGRITY-SHA256: HMAC-SHA256 over the message. */
  MESSAGE_INTEGRITY_SHA256: 0x001c,
  /** PASSWORD-ALGORITHM: the password algorithm the client chose. */
  PASSWORD_ALGORITHM: 0x001d,
  /** USERHASH: a SHA-256 hash of the user name and realm, in place of USERNAME. */
  USERHASH: 0x001e,
  /** XOR-MAPPED-ADDRESS: the reflexive transport address, XORed with the magic cookie. */
  XOR_MAPPED_ADDRESS: 0x0020,
  /** RESERVATION-TOKEN (TURN): a token naming a relayed port reserved by EVEN-PORT. */
  RESERVATION_TOKEN: 0x0022,
  /** PRIORITY (ICE): the priority a peer-reflexive candidate would have. */
  PRIORITY: 0x0024,
  /** USE-CANDIDATE (ICE): the controlling agent nominates this pair. */
  USE_CANDIDATE: 0x0025,
  /** PADDING (RFC 5780): bytes that pad the request to test fragmentation. */
  PADDING: 0x0026,
  /** RESPONSE-PORT (RFC 5780): the port the response should be sent to. */
  RESPONSE_PORT: 0x0027,
  /** ADDITIONAL-ADDRESS-FAMILY (TURN): ask for a second relayed address of the other family. */
  ADDITIONAL_ADDRESS_FAMILY: 0x8000,
  /** ADDRESS-ERROR-CODE (TURN): why the relayed address of one family was not allocated. */
  ADDRESS_ERROR_CODE: 0x8001,
  /** PASSWORD-ALGORITHMS: the password algorithms the server supports. */
  PASSWORD_ALGORITHMS: 0x8002,
  /** ALTERNATE-DOMAIN: the domain name of the alternate server, for certificate checks. */
  ALTERNATE_DOMAIN: 0x8003,
  /** ICMP (TURN): an ICMP error a peer's datagram met, reported in a Data indication. */
  ICMP: 0x8004,
  /** SOFTWARE: a text description of the agent's software. */
  SOFTWARE: 0x8022,
  /** ALTERNATE-SERVER: another server the client should try. */
  ALTERNATE_SERVER: 0x8023,
  /** FINGERPRINT: CRC-32 of the message XORed with 0x5354554e. */
  FINGERPRINT: 0x8028,
  /** ICE-CONTROLLED (ICE): the sender is controlled; carries its tie-breaker. */
  ICE_CONTROLLED: 0x8029,
  /** ICE-CONTROLLING (ICE): the sender is controlling; carries its tie-breaker. */
  ICE_CONTROLLING: 0x802a,
  /** RESPONSE-ORIGIN (RFC 5780): the address the response was sent from. */
  RESPONSE_ORIGIN: 0x802b,
  /** OTHER-ADDRESS (RFC 5780): the server's alternate address and port. */
  OTHER_ADDRESS: 0x802c,
} as const;
