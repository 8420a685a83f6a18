// NAT behaviour of a lab router, made with iptables inside the router's namespace.
// Names follow RFC 4787 (mapping and filtering behaviour).
import { nsRun } from './sh.js';

/**
 * - none: no NAT, the LAN has public addresses
 * - full-cone: endpoint-independent mapping and filtering
 * - restricted: endpoint-independent mapping, address-and-port-dependent filtering (Linux MASQUERADE)
 * - symmetric: address-and-port-dependent mapping and filtering (MASQUERADE --random-fully)
 */
export type NatType = 'none' | 'full-cone' | 'restricted' | 'symmetric';

export const NAT_TYPES: readonly NatType[] = ['none', 'full-cone', 'restricted', 'symmetric'];

interface NatRouter {
  netns: string;
  nat: NatType;
  hairpin: boolean;
  wanAddress: string;
  lanSubnet: string;
  host: { address: string };
  /** sources whose unsolicited packets the router itself accepts (miniupnpd's STUN check) */
  acceptInputFrom?: string[];
}

export async function configureNat(r: NatRouter): Promise<void> {
  const ipt = (...args: string[]) => nsRun(r.netns, 'iptables', ['-w', ...args]);
  await nsRun(r.netns, 'sysctl', ['-qw', 'net.ipv4.conf.all.send_redirects=0']);
  if (r.nat === 'none') return;
  const host = r.host.address;
  switch (r.nat) {
    case 'full-cone':
      // Fixed mapping: the LAN host's source port is kept (one host per LAN, so it is always free) ...
      await ipt(
        '-t',
        'nat',
        '-A',
        'POSTROUTING',
        '-o',
        'eth0',
        '-s',
        r.lanSubnet,
        '-j',
        'SNAT',
        '--to-source',
        r.wanAddress,
      );
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
      break;
    case 'restricted':
      await ipt('-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth0', '-s', r.lanSubnet, '-j', 'MASQUERADE');
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
        r.lanSubnet,
        '-j',
        'MASQUERADE',
        '--random-fully',
      );
      break;
  }
  // Unsolicited packets to the router itself are dropped before conntrack confirms an entry for
  // them: otherwise that entry (peer -> WAN:p) would hold the tuple that a later outbound mapping
  // LAN:p -> WAN:p needs, MASQUERADE would pick another port, and hole punching between two
  // port-restricted NATs would fail where a real cone NAT lets it work.
  for (const src of r.acceptInputFrom ?? [])
    await ipt('-A', 'INPUT', '-i', 'eth0', '-s', src, '-j', 'ACCEPT');
  await ipt('-A', 'INPUT', '-i', 'eth0', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP');
  // Nothing new enters the LAN from the WAN unless a DNAT (full-cone, miniupnpd) sent it there.
  for (const state of ['ESTABLISHED,RELATED', 'DNAT'])
    await ipt(
      '-A',
      'FORWARD',
      '-i',
      'eth0',
      '-o',
      'lan0',
      '-m',
      'conntrack',
      '--ctstate',
      state,
      '-j',
      'ACCEPT',
    );
  await ipt('-A', 'FORWARD', '-i', 'eth0', '-o', 'lan0', '-j', 'DROP');
  if (r.hairpin) {
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
    await ipt(
      '-t',
      'nat',
      '-A',
      'POSTROUTING',
      '-o',
      'lan0',
      '-s',
      r.lanSubnet,
      '-d',
      r.lanSubnet,
      '-j',
      'SNAT',
      '--to-source',
      r.wanAddress,
    );
  }
}
