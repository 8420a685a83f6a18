import { AttributeType } from '../constants.js';
import * as addr from './address-attributes.js';
import * as auth from './auth.js';
import type { AttributeCodec } from './codec.js';
import * as err from './error-code.js';
import * as ice from './ice.js';
import * as nat from './nat-behavior.js';
import * as text from './text.js';
import * as turn from './turn.js';
import type { AttributeName, AttributeValues } from './values.js';

/** Every typed attribute codec, keyed by attribute name. */
export const ATTRIBUTE_CODECS: { readonly [K in AttributeName]: AttributeCodec<AttributeValues[K]> } = {
  MAPPED_ADDRESS: addr.MAPPED_ADDRESS,
  XOR_MAPPED_ADDRESS: addr.XOR_MAPPED_ADDRESS,
  USERNAME: text.USERNAME,
  USERHASH: auth.USERHASH,
  REALM: text.REALM,
  NONCE: text.NONCE,
  SOFTWARE: text.SOFTWARE,
  ERROR_CODE: err.ERROR_CODE,
  PASSWORD_ALGORITHMS: auth.PASSWORD_ALGORITHMS,
  PASSWORD_ALGORITHM: auth.PASSWORD_ALGORITHM,
  UNKNOWN_ATTRIBUTES: err.UNKNOWN_ATTRIBUTES,
  ALTERNATE_SERVER: addr.ALTERNATE_SERVER,
  ALTERNATE_DOMAIN: text.ALTERNATE_DOMAIN,
  PRIORITY: ice.PRIORITY,
  USE_CANDIDATE: ice.USE_CANDIDATE,
  ICE_CONTROLLED: ice.ICE_CONTROLLED,
  ICE_CONTROLLING: ice.ICE_CONTROLLING,
  CHANNEL_NUMBER: turn.CHANNEL_NUMBER,
  LIFETIME: ice.LIFETIME,
  XOR_PEER_ADDRESS: addr.XOR_PEER_ADDRESS,
  DATA: turn.DATA,
  XOR_RELAYED_ADDRESS: addr.XOR_RELAYED_ADDRESS,
  REQUESTED_ADDRESS_FAMILY: turn.REQUESTED_ADDRESS_FAMILY,
  EVEN_PORT: turn.EVEN_PORT,
  REQUESTED_TRANSPORT: turn.REQUESTED_TRANSPORT,
  DONT_FRAGMENT: turn.DONT_FRAGMENT,
  RESERVATION_TOKEN: turn.RESERVATION_TOKEN,
  ADDITIONAL_ADDRESS_FAMILY: turn.ADDITIONAL_ADDRESS_FAMILY,
  ADDRESS_ERROR_CODE: err.ADDRESS_ERROR_CODE,
  ICMP: turn.ICMP,
  CHANGE_REQUEST: nat.CHANGE_REQUEST,
  RESPONSE_ORIGIN: addr.RESPONSE_ORIGIN,
  OTHER_ADDRESS: addr.OTHER_ADDRESS,
  RESPONSE_PORT: nat.RESPONSE_PORT,
  PADDING: nat.PADDING,
};

const KNOWN = new Set<number>(Object.values(AttributeType));

/** True for attribute types this codec understands (including MI, MI-SHA256 and FINGERPRINT). */
export function isKnownAttributeType(type: number): boolean {
  return KNOWN.has(type);
}

const NAMES = new Map<number, string>(
  Object.entries(AttributeType).map(([k, v]) => [v, k.replace(/_/g, '-')]),
);

/** RFC name of an attribute type ("XOR-MAPPED-ADDRESS"), or its hex code. */
export function attributeTypeName(type: number): string {
  return NAMES.get(type) ?? `0x${type.toString(16).padStart(4, '0')}`;
}
