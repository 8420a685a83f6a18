// Transport-address helpers shared by every package above stun (turn, gather, ice): one meaning of
// "the same address" and one text form, so that a response matched here matches there.
import type { TransportAddress } from './codec/index.js';
import { parseIpv6 } from './ip-text.js';

/**
 * Whether two transport addresses are the same: same family, same port and the same IP address.
 * IPv4 text is compared as it is (dotted quad, the only form the codec and Node produce). IPv6
 * text is compared by value: case, leading zeros and where `::` compresses do not matter
 * ("2001:DB8:0::1" is "2001:db8::1"); a zone ("%eth0") must be the same text on both sides.
 * Text that is not an address of its family is compared as it is.
 */
export function sameTransportAddress(a: TransportAddress, b: TransportAddress): boolean {
  if (a.port !== b.port || a.family !== b.family) return false;
  if (a.address === b.address) return true;
  return a.family === 'IPv6' && sameIpv6(a.address, b.address);
}

function sameIpv6(a: string, b: string): boolean {
  const za = a.indexOf('%');
  const zb = b.indexOf('%');
  if ((za < 0 ? '' : a.slice(za)) !== (zb < 0 ? '' : b.slice(zb))) return false;
  const ga = parseIpv6(za < 0 ? a : a.slice(0, za));
  const gb = parseIpv6(zb < 0 ? b : b.slice(0, zb));
  if (!ga || !gb) return false;
  for (let i = 0; i < 8; i++) if (ga[i] !== gb[i]) return false;
  return true;
}

/** "192.0.2.1:3478" or "[2001:db8::1]:3478". */
export function formatTransportAddress(a: TransportAddress): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
