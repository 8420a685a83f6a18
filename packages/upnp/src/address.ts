// IPv4 address helpers (pure).

/** Parses dotted-quad IPv4 into a 32-bit unsigned number, or undefined. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value >>> 0;
}

export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function ipv4ToBytes(text: string): Uint8Array {
  const v = parseIPv4(text);
  if (v === undefined) throw new TypeError(`not an IPv4 address: ${text}`);
  return new Uint8Array([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
}

/** True when a and b are in the same subnet given by netmask (all dotted quads). */
export function sameSubnet(a: string, b: string, netmask: string): boolean {
  const x = parseIPv4(a);
  const y = parseIPv4(b);
  const m = parseIPv4(netmask);
  if (x === undefined || y === undefined || m === undefined) return false;
  return (x & m) >>> 0 === (y & m) >>> 0;
}

const nonPublic: ReadonlyArray<readonly [number, number]> = [
  [0x0a000000, 8], // 10/8 RFC 1918
  [0xac100000, 12], // 172.16/12 RFC 1918
  [0xc0a80000, 16], // 192.168/16 RFC 1918
  [0x64400000, 10], // 100.64/10 RFC 6598 shared address space (CGNAT)
  [0xa9fe0000, 16], // 169.254/16 link-local
  [0x7f000000, 8], // loopback
  [0x00000000, 8], // "this network"
];

/**
 * An external address that is private, CGNAT or otherwise not reachable from the Internet means
 * there is another NAT upstream of the router that made the mapping ("double NAT"): the mapped
 * candidate would be useless to a remote peer.
 */
export function isDoubleNatAddress(text: string): boolean {
  const v = parseIPv4(text);
  if (v === undefined) return true;
  return nonPublic.some(([net, bits]) => (v ^ net) >>> (32 - bits) === 0);
}
