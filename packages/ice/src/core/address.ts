import { parseIpv4, parseIpv6, type TransportAddress } from '@p2pcat/stun/core';

// The shared helpers live once, in @p2pcat/stun; the names the ICE core has always used stay:
// sameAddress (family, port, and the address by value: IPv6 text after normalisation), addressKey
// (the "192.0.2.1:3478" / "[2001:db8::1]:3478" text, a Map key), parseIpv4/parseIpv6.
export {
  formatTransportAddress as addressKey,
  parseIpv4,
  parseIpv6,
  sameTransportAddress as sameAddress,
  type TransportAddress,
} from '@p2pcat/stun/core';

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

/** Why a signalled remote candidate was refused (see `remoteAddressProblem` and the agent's limits). */
export type RemoteCandidateRefusal =
  /** Not a literal IPv4/IPv6 address of the candidate's family. */
  | 'invalid-address'
  /** Port 0 is never a destination. */
  | 'port-zero'
  /** 0.0.0.0/8 ("this network") or `::`: names no peer. */
  | 'unspecified'
  /** 224.0.0.0/4 or ff00::/8: one check would reach every member of a group. */
  | 'multicast'
  /** 255.255.255.255: every host of the local link. */
  | 'broadcast'
  /** 240.0.0.0/4 (reserved, RFC 1112 §4): not routable. */
  | 'reserved'
  /** ::ffff:0:0/96 or the deprecated ::/96 IPv4-compatible form inside an IPv6 candidate. */
  | 'ipv4-mapped'
  /** 127.0.0.0/8 or ::1 while no local base is loopback (and `allowLoopback` is not true), or `allowLoopback` false. */
  | 'loopback'
  /** More signalled remote candidates than `maxRemoteCandidates`. */
  | 'limit';

/** Loopback: 127.0.0.0/8 or ::1. */
export function isLoopbackAddress(a: TransportAddress): boolean {
  if (a.family === 'IPv4') return parseIpv4(a.address)?.[0] === 127;
  const g = parseIpv6(a.address);
  return !!g && g.slice(0, 7).every((x) => x === 0) && g[7] === 1;
}

/**
 * Whether a remote candidate's address can never be a peer (RFC 8445 §5.1.1.1 gathers none of these,
 * and a check sent to them could only reach bystanders): undefined when it can be one. Loopback is
 * left to the caller, which knows whether it has a loopback base.
 */
export function remoteAddressProblem(a: TransportAddress): RemoteCandidateRefusal | undefined {
  if (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535) return 'invalid-address';
  if (a.family === 'IPv4') {
    const o = parseIpv4(a.address);
    if (!o) return 'invalid-address';
    if (a.port === 0) return 'port-zero';
    const first = o[0] as number;
    if (first === 0) return 'unspecified';
    if (first >= 224 && first <= 239) return 'multicast';
    if (o.every((x) => x === 255)) return 'broadcast';
    if (first >= 240) return 'reserved';
    return undefined;
  }
  const g = parseIpv6(a.address);
  if (!g) return 'invalid-address';
  if (a.port === 0) return 'port-zero';
  if (g.every((x) => x === 0)) return 'unspecified';
  if (((g[0] as number) & 0xff00) === 0xff00) return 'multicast';
  const zero5 = g.slice(0, 5).every((x) => x === 0);
  if (zero5 && g[5] === 0xffff) return 'ipv4-mapped';
  // IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1); ::1 is loopback, handled by the caller.
  if (zero5 && g[5] === 0 && !(g[6] === 0 && g[7] === 1)) return 'ipv4-mapped';
  return undefined;
}
