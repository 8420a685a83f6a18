import type { TransportAddress } from '../codec/index.js';

/** Same family, address text and port. Addresses are compared in the codec's canonical text form. */
export function sameTransportAddress(a: TransportAddress, b: TransportAddress): boolean {
  return a.port === b.port && a.family === b.family && a.address.toLowerCase() === b.address.toLowerCase();
}

/** "192.0.2.1:3478" or "[2001:db8::1]:3478". */
export function formatTransportAddress(a: TransportAddress): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
