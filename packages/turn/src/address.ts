import type { TransportAddress } from '@p2pcat/stun';

/** ip:port identity of a transport address (families never collide: IPv6 text contains ':'). */
export function addressKey(a: TransportAddress): string {
  return `${a.address}|${a.port}`;
}

export function sameAddress(a: TransportAddress, b: TransportAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

export function formatAddress(a: TransportAddress): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
