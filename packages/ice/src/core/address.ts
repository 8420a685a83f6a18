import type { TransportAddress } from '@p2pcat/stun';

export type { TransportAddress };

/** Map key for a transport address. */
export function addressKey(a: TransportAddress): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

export function sameAddress(a: TransportAddress, b: TransportAddress): boolean {
  return a.port === b.port && a.family === b.family && a.address === b.address;
}

export function familyOf(address: string): 'IPv4' | 'IPv6' {
  return address.includes(':') ? 'IPv6' : 'IPv4';
}

export function transportAddress(address: string, port: number): TransportAddress {
  return { family: familyOf(address), address, port };
}
