import type { AddressFamily, TransportAddress } from '../address.js';

/** Typed attribute values, keyed by the RFC's attribute name with '_' for '-'. */
export interface AttributeValues {
  MAPPED_ADDRESS: TransportAddress;
  XOR_MAPPED_ADDRESS: TransportAddress;
  USERNAME: string;
  USERHASH: Uint8Array;
  REALM: string;
  NONCE: string;
  SOFTWARE: string;
  ERROR_CODE: { code: number; reason: string };
  PASSWORD_ALGORITHMS: { algorithm: number; parameters: Uint8Array }[];
  PASSWORD_ALGORITHM: { algorithm: number; parameters: Uint8Array };
  UNKNOWN_ATTRIBUTES: number[];
  ALTERNATE_SERVER: TransportAddress;
  ALTERNATE_DOMAIN: string;
  PRIORITY: number;
  USE_CANDIDATE: true;
  ICE_CONTROLLED: bigint;
  ICE_CONTROLLING: bigint;
  CHANNEL_NUMBER: number;
  LIFETIME: number;
  XOR_PEER_ADDRESS: TransportAddress;
  DATA: Uint8Array;
  XOR_RELAYED_ADDRESS: TransportAddress;
  REQUESTED_ADDRESS_FAMILY: AddressFamily;
  EVEN_PORT: { reserve: boolean };
  REQUESTED_TRANSPORT: number;
  DONT_FRAGMENT: true;
  RESERVATION_TOKEN: Uint8Array;
  ADDITIONAL_ADDRESS_FAMILY: AddressFamily;
  ADDRESS_ERROR_CODE: { family: AddressFamily; code: number; reason: string };
  ICMP: { type: number; code: number; data: number };
  CHANGE_REQUEST: { changeIp: boolean; changePort: boolean };
  RESPONSE_ORIGIN: TransportAddress;
  OTHER_ADDRESS: TransportAddress;
  RESPONSE_PORT: number;
  PADDING: Uint8Array;
}

export type AttributeName = keyof AttributeValues;
