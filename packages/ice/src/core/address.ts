import type { TransportAddress } from '@p2pcat/stun/core';

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

/** Private (RFC 1918), shared (RFC 6598), loopback or link-local: not reachable from the public internet. */
export function isPrivateAddress(a: TransportAddress): boolean {
  if (a.family === 'IPv6') {
    const x = a.address.toLowerCase();
    return x === '::1' || x.startsWith('fe80') || x.startsWith('fc') || x.startsWith('fd');
  }
  const [p, q] = a.address.split('.').map(Number) as [number, number];
  return (
    p === 10 ||
    p === 127 ||
    (p === 172 && q >= 16 && q <= 31) ||
    (p === 192 && q === 168) ||
    (p === 169 && q === 254) ||
    (p === 100 && q >= 64 && q <= 127)
  );
}
