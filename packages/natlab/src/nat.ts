// NAT behaviour of a lab router, made with iptables inside the router's namespace, plus its IPv6
// stateful firewall and the "UDP blocked" egress policy. Names follow RFC 4787 (mapping and
// filtering behaviour).
import { nsRun } from './sh.js';

/**
 * - none: no NAT, the LAN has public addresses
 * - full-cone: endpoint-independent mapping and filtering
 * - restricted: endpoint-independent mapping, address-and-port-dependent filtering (Linux MASQUERADE)
 * - symmetric: address-and-port-dependent mapping and filtering, random ports (MASQUERADE --random-fully)
 * - symmetric-sequential: address-and-port-dependent mapping and filtering, each new mapping (per new
 *   destination, from any LAN host) takes the next port: 20000, 20000 + step, ... (an nft SNAT whose port
 *   is a counter, `numgen inc`; see sequentialRules)
 */
export type NatType = 'none' | 'full-cone' | 'restricted' | 'symmetric' | 'symmetric-sequential';

export const NAT_TYPES: readonly NatType[] = [
  'none',
  'full-cone',
  'restricted',
  'symmetric',
  'symmetric-sequential',
];

/** First port a symmetric-sequential NAT hands out; ports then go up by the step and wrap. */
export const SEQUENTIAL_FIRST_PORT = 20000;
/** How many ports a symmetric-sequential NAT cycles through before it wraps to the first. */
export const SEQUENTIAL_PORT_COUNT = 4096;

export interface NatLan {
  ifname: string;
  /** IPv4 subnet of the LAN (CIDR) */
  subnet: string;
}

export interface NatRouter {
  netns: string;
  nat: NatType;
  hairpin: boolean;
  wanAddress: string;
  lans: NatLan[];
  /** the LAN host when the router has exactly one (full-cone target, single-host hairpin) */
  hostAddress?: string;
  /** sources whose unsolicited packets the router itself accepts (miniupnpd's STUN check) */
  acceptInputFrom?: string[];
  /** outbound from the LANs only TCP 80/443 and DNS to these resolver addresses */
  blockUdp?: { dns: string[]; dns6: string[] };
  /** IPv6 routed to the LANs: add the stateful IPv6 firewall (NATed routers only) */
  ipv6?: boolean;
  /** symmetric-sequential: port increment between two new mappings (1..8, default 1) */
  portStep?: number;
}

export async function configureNat(r: NatRouter): Promise<void> {
  const ipt = (...args: string[]) => nsRun(r.netns, 'iptables', ['-w', ...args]);
  const ip6t = (...args: string[]) => nsRun(r.netns, 'ip6tables', ['-w', ...args]);
  await nsRun(r.netns, 'sysctl', ['-qw', 'net.ipv4.conf.all.send_redirects=0']);
  if (r.blockUdp) await blockEgress(r, ipt, ip6t);
  if (r.nat === 'none') return;
  if (r.ipv6) {
    // Like a home router (RFC 6092 simple security): outbound and the answers to it pass, nothing
    // unsolicited enters the LANs over IPv6 (no NAT66: the hosts keep their global addresses).
    await ip6t(
      '-A',
      'FORWARD',
      '-i',
      'eth0',
      '-m',
      'conntrack',
      '--ctstate',
      'ESTABLISHED,RELATED',
      '-j',
      'ACCEPT',
    );
    await ip6t('-A', 'FORWARD', '-i', 'eth0', '-j', 'DROP');
  }
  const host = r.hostAddress;
  if (r.nat === 'symmetric-sequential')
    await nsRun(r.netns, 'nft', ['-f', '-'], { input: sequentialRules(r, r.portStep ?? 1) });
  for (const lan of r.lans) {
    switch (r.nat) {
      case 'full-cone':
        // Fixed mapping: the LAN host's source port is kept (one host per LAN, so it is always free)
        await ipt(
          '-t',
          'nat',
          '-A',
          'POSTROUTING',
          '-o',
          'eth0',
          '-s',
          lan.subnet,
          '-j',
          'SNAT',
          '--to-source',
          r.wanAddress,
        );
        break;
      case 'restricted':
        await ipt('-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth0', '-s', lan.subnet, '-j', 'MASQUERADE');
        break;
      case 'symmetric':
        await ipt(
          '-t',
          'nat',
          '-A',
          'POSTROUTING',
          '-o',
          'eth0',
          '-s',
          lan.subnet,
          '-j',
          'MASQUERADE',
          '--random-fully',
        );
        break;
    }
  }
  if (r.nat === 'full-cone') {
    if (host === undefined) throw new Error('natlab: a full-cone router has exactly one LAN host');
    // ... and anything arriving on the WAN address goes to the same port of the LAN host.
    for (const proto of ['udp', 'tcp'])
      await ipt(
        '-t',
        'nat',
        '-A',
        'PREROUTING',
        '-i',
        'eth0',
        '-d',
        r.wanAddress,
        '-p',
        proto,
        '-j',
        'DNAT',
        '--to-destination',
        host,
      );
  }
  // Unsolicited packets to the router itself are dropped before conntrack confirms an entry for
  // them: otherwise that entry (peer -> WAN:p) would hold the tuple that a later outbound mapping
  // LAN:p -> WAN:p needs, MASQUERADE would pick another port, and hole punching between two
  // port-restricted NATs would fail where a real cone NAT lets it work.
  for (const src of r.acceptInputFrom ?? [])
    await ipt('-A', 'INPUT', '-i', 'eth0', '-s', src, '-j', 'ACCEPT');
  await ipt('-A', 'INPUT', '-i', 'eth0', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP');
  // Nothing new enters the LANs from the WAN unless a DNAT (full-cone, miniupnpd) sent it there.
  for (const state of ['ESTABLISHED,RELATED', 'DNAT'])
    await ipt('-A', 'FORWARD', '-i', 'eth0', '-m', 'conntrack', '--ctstate', state, '-j', 'ACCEPT');
  await ipt('-A', 'FORWARD', '-i', 'eth0', '-j', 'DROP');
  // Two LANs of one router do not reach each other directly (like a guest network): only through
  // the WAN address, when hairpinning is on.
  for (const a of r.lans)
    for (const b of r.lans) {
      if (a === b) continue;
      for (const state of ['ESTABLISHED,RELATED', 'DNAT'])
        await ipt(
          '-A',
          'FORWARD',
          '-i',
          a.ifname,
          '-o',
          b.ifname,
          '-m',
          'conntrack',
          '--ctstate',
          state,
          '-j',
          'ACCEPT',
        );
      await ipt('-A', 'FORWARD', '-i', a.ifname, '-o', b.ifname, '-j', 'DROP');
      await ip6t('-A', 'FORWARD', '-i', a.ifname, '-o', b.ifname, '-j', 'DROP');
    }
  if (!r.hairpin) return;
  if (host !== undefined) {
    // One LAN host: whatever a LAN host sends to the WAN address comes back to that host, same port.
    for (const proto of ['udp', 'tcp'])
      await ipt(
        '-t',
        'nat',
        '-A',
        'PREROUTING',
        '-i',
        'lan0',
        '-d',
        r.wanAddress,
        '-p',
        proto,
        '-j',
        'DNAT',
        '--to-destination',
        host,
      );
  } else {
    await hairpinByMapping(r);
  }
  // The hairpinned packet leaves with the WAN address as its source, so the answer comes back
  // through the router (RFC 4787 REQ-9: hairpinned packets carry the external source address).
  for (const to of r.lans)
    for (const from of r.lans)
      await ipt(
        '-t',
        'nat',
        '-A',
        'POSTROUTING',
        '-o',
        to.ifname,
        '-s',
        from.subnet,
        '-m',
        'conntrack',
        '--ctstate',
        'DNAT',
        '-j',
        'SNAT',
        '--to-source',
        r.wanAddress,
      );
}

/**
 * A sequential port allocator, which netfilter's own NAT does not offer: without --random it keeps the
 * source port when free (endpoint-independent), and since Linux 5.x its fallback search starts at a
 * random offset. Here the SNAT port is a counter (`numgen inc`, one per rule, shared by every LAN host)
 * looked up in a map k -> first + k * step. A NAT rule runs only for the first packet of a conntrack
 * entry, so the counter moves once per new mapping: per new (source, destination) pair, which makes the
 * mapping address-and-port-dependent (RFC 4787 §4.1). Verified on Linux 6.18 by e2e/sequential.test.ts.
 */
export function sequentialRules(r: Pick<NatRouter, 'lans' | 'wanAddress'>, step: number): string {
  if (!Number.isInteger(step) || step < 1 || step > 8) throw new Error('natlab: portStep must be 1..8');
  const entries: string[] = [];
  for (let k = 0; k < SEQUENTIAL_PORT_COUNT; k++) entries.push(`${k} : ${SEQUENTIAL_FIRST_PORT + k * step}`);
  const lines = [
    'table ip natlab_seq {',
    '  chain post {',
    '    type nat hook postrouting priority srcnat; policy accept;',
  ];
  for (const lan of r.lans)
    for (const p of ['udp', 'tcp'])
      lines.push(
        `    oifname "eth0" ip saddr ${lan.subnet} meta l4proto ${p} snat ip to ${r.wanAddress} : numgen inc mod ${SEQUENTIAL_PORT_COUNT} map { ${entries.join(', ')} }`,
      );
  // Anything else (ICMP) from the LANs is masqueraded as usual.
  for (const lan of r.lans) lines.push(`    oifname "eth0" ip saddr ${lan.subnet} masquerade`);
  lines.push('  }', '}', '');
  return lines.join('\n');
}

/**
 * Hairpinning with several LAN hosts: every outbound UDP/TCP packet leaving on the WAN records
 * "mapped port -> (LAN host, its port)" in a dynamic nft map (after the NAT rewrote the source),
 * and a LAN packet to the WAN address is sent to the owner of that mapped port (RFC 4787 REQ-9).
 */
async function hairpinByMapping(r: NatRouter): Promise<void> {
  const lines: string[] = ['table ip natlab_hairpin {'];
  for (const p of ['udp', 'tcp'])
    lines.push(
      `  map ${p}_owner { type inet_service : ipv4_addr . inet_service; flags dynamic,timeout; timeout 10m; }`,
    );
  lines.push('  chain post {', '    type filter hook postrouting priority 200; policy accept;');
  for (const p of ['udp', 'tcp'])
    lines.push(
      `    oifname "eth0" meta l4proto ${p} update @${p}_owner { ${p} sport : ct original ip saddr . ct original proto-src }`,
    );
  lines.push('  }', '  chain pre {', '    type nat hook prerouting priority dstnat; policy accept;');
  for (const p of ['udp', 'tcp'])
    lines.push(
      `    iifname "lan*" ip daddr ${r.wanAddress} meta l4proto ${p} dnat ip to ${p} dport map @${p}_owner`,
    );
  lines.push('  }', '}', '');
  await nsRun(r.netns, 'nft', ['-f', '-'], { input: lines.join('\n') });
}

/** blockUdp: from the LANs only TCP to ports 80 and 443, and DNS to the lab resolver, go out. */
async function blockEgress(
  r: NatRouter,
  ipt: (...a: string[]) => Promise<unknown>,
  ip6t: (...a: string[]) => Promise<unknown>,
): Promise<void> {
  const b = r.blockUdp;
  if (!b) return;
  for (const [fw, dns] of [
    [ipt, b.dns],
    [ip6t, b.dns6],
  ] as const) {
    const rule = (...a: string[]) => fw('-A', 'FORWARD', '-i', 'lan+', '-o', 'eth0', ...a);
    await rule('-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
    await rule('-p', 'tcp', '-m', 'multiport', '--dports', '80,443', '-j', 'ACCEPT');
    for (const d of dns)
      for (const p of ['udp', 'tcp']) await rule('-d', d, '-p', p, '--dport', '53', '-j', 'ACCEPT');
    await rule('-j', 'DROP');
  }
}
