// Which local addresses get a host candidate. Loopback and IPv6 link-local addresses are left out
// by default (they cannot reach a peer on another machine), and so are temporary, deprecated or
// tentative IPv6 addresses where Linux says so (/proc/net/if_inet6 flags).
import { readFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { Address6 } from 'ip-address';

/** One IP address of a local network adapter. */
export interface LocalAddress {
  /** The adapter's name, as the system gives it ("eth0"). */
  interfaceName: string;
  /** The IP address, in text form. */
  address: string;
  /** The address family. */
  family: 'IPv4' | 'IPv6';
  /** IPv6 scope id (interface index) for link-local addresses */
  scopeId?: number;
}

/** Which local addresses to gather host candidates on. */
export interface InterfaceOptions {
  /** Use IPv4 addresses (default true). */
  ipv4?: boolean;
  /** Use IPv6 addresses (default true). */
  ipv6?: boolean;
  /** Use loopback addresses (default false). */
  includeLoopback?: boolean;
  /** Use IPv6 link-local addresses (default false). */
  includeLinkLocal?: boolean;
  /** temporary (privacy) and deprecated IPv6 addresses */
  includeTemporary?: boolean;
  /** adapters to leave out, by exact name or pattern (e.g. /^docker|^br-|^veth/) */
  excludeInterfaces?: (string | RegExp)[];
  /** last word: keep an address only if this returns true */
  filter?: (address: LocalAddress) => boolean;
}

export type NetworkInterfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

// Linux include/uapi/linux/if_addr.h
const IFA_F_TEMPORARY = 0x01;
const IFA_F_DADFAILED = 0x08;
const IFA_F_DEPRECATED = 0x20;
const IFA_F_TENTATIVE = 0x40;

/** Flags of each IPv6 address (full hex form, no colons) from /proc/net/if_inet6, where present. */
export function readIpv6Flags(text?: string): Map<string, number> {
  const out = new Map<string, number>();
  let content = text;
  if (content === undefined) {
    try {
      content = readFileSync('/proc/net/if_inet6', 'utf8');
    } catch {
      return out;
    }
  }
  for (const line of content.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 6 && /^[0-9a-f]{32}$/.test(f[0]!)) out.set(f[0]!, Number.parseInt(f[4]!, 16));
  }
  return out;
}

function ipv6Hex(address: string): string {
  return new Address6(address).canonicalForm().replace(/:/g, '');
}

export function listLocalAddresses(
  interfaces: NetworkInterfaces,
  options: InterfaceOptions = {},
  ipv6Flags: Map<string, number> = readIpv6Flags(),
): LocalAddress[] {
  const out: LocalAddress[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    if (!infos) continue;
    if (options.excludeInterfaces?.some((p) => (typeof p === 'string' ? p === name : p.test(name)))) continue;
    for (const info of infos) {
      const family = info.family === 'IPv6' ? 'IPv6' : 'IPv4';
      if (family === 'IPv4' && options.ipv4 === false) continue;
      if (family === 'IPv6' && options.ipv6 === false) continue;
      if (info.internal && !options.includeLoopback) continue;
      const addr: LocalAddress = { interfaceName: name, address: info.address, family };
      if (family === 'IPv6') {
        const linkLocal = /^fe[89ab]/i.test(info.address);
        if (linkLocal && !options.includeLinkLocal) continue;
        if (linkLocal) addr.scopeId = info.scopeid;
        const flags = ipv6Flags.get(ipv6Hex(info.address)) ?? 0;
        if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) continue; // not usable yet / at all
        if (flags & (IFA_F_TEMPORARY | IFA_F_DEPRECATED) && !options.includeTemporary) continue;
      }
      if (options.filter && !options.filter(addr)) continue;
      out.push(addr);
    }
  }
  return out;
}

/** The adapter of the IPv4 default route (from /proc/net/route), where a port mapping makes sense. */
export function defaultRouteInterface(text?: string): string | undefined {
  let content = text;
  if (content === undefined) {
    try {
      content = readFileSync('/proc/net/route', 'utf8');
    } catch {
      return undefined;
    }
  }
  let best: { name: string; metric: number } | undefined;
  for (const line of content.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] !== '00000000' || f[7] !== '00000000') continue;
    const metric = Number.parseInt(f[6]!, 10);
    if (!best || metric < best.metric) best = { name: f[0]!, metric };
  }
  return best?.name;
}
