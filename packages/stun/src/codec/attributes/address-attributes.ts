import { readAddress, type TransportAddress, writeAddress } from '../address.js';
import { AttributeType } from '../constants.js';
import type { AttributeCodec } from './codec.js';

function plain(type: number, name: string): AttributeCodec<TransportAddress> {
  return {
    type,
    write: (w, v) => writeAddress(w, v, undefined),
    read: (b, o, n) => readAddress(b, o, n, undefined, name),
  };
}

function xored(type: number, name: string): AttributeCodec<TransportAddress> {
  return {
    type,
    write: (w, v, tid) => writeAddress(w, v, tid),
    read: (b, o, n, tid) => readAddress(b, o, n, tid, name),
  };
}

/** RFC 8489 §14.1 */
export const MAPPED_ADDRESS = plain(AttributeType.MAPPED_ADDRESS, 'MAPPED-ADDRESS');
/** RFC 8489 §14.2 */
export const XOR_MAPPED_ADDRESS = xored(AttributeType.XOR_MAPPED_ADDRESS, 'XOR-MAPPED-ADDRESS');
/** RFC 8489 §14.15 */
export const ALTERNATE_SERVER = plain(AttributeType.ALTERNATE_SERVER, 'ALTERNATE-SERVER');
/** RFC 8656 §18.3 */
export const XOR_PEER_ADDRESS = xored(AttributeType.XOR_PEER_ADDRESS, 'XOR-PEER-ADDRESS');
/** RFC 8656 §18.5 */
export const XOR_RELAYED_ADDRESS = xored(AttributeType.XOR_RELAYED_ADDRESS, 'XOR-RELAYED-ADDRESS');
/** RFC 5780 §7.3 */
export const RESPONSE_ORIGIN = plain(AttributeType.RESPONSE_ORIGIN, 'RESPONSE-ORIGIN');
/** RFC 5780 §7.4 */
export const OTHER_ADDRESS = plain(AttributeType.OTHER_ADDRESS, 'OTHER-ADDRESS');
