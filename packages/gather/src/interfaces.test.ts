import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, test } from 'vitest';
import { defaultRouteInterface, listLocalAddresses, readIpv6Flags } from './interfaces.js';

const info = (address: string, family: 'IPv4' | 'IPv6', internal = false, scopeid = 0) =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null, scopeid }) as NetworkInterfaceInfo;

const interfaces = {
  lo: [info('127.0.0.1', 'IPv4', true), info('::1', 'IPv6', true)],
  eth0: [
    info('192.0.2.10', 'IPv4'),
    info('2001:db8::10', 'IPv6'),
    info('2001:db8::abcd', 'IPv6'),
    info('fe80::1', 'IPv6', false, 2),
  ],
  docker0: [info('172.17.0.1', 'IPv4')],
};
const flags = readIpv6Flags(
  [
    '20010db8000000000000000000000010 02 40 00 00 eth0',
    '20010db800000000000000000000abcd 02 40 00 01 eth0',
    'fe800000000000000000000000000001 02 40 20 80 eth0',
  ].join('\n'),
);

describe('local addresses', () => {
  test('default: no loopback, no link-local, no temporary IPv6', () => {
    const got = listLocalAddresses(interfaces, {}, flags).map((a) => a.address);
    expect(got).toEqual(['192.0.2.10', '2001:db8::10', '172.17.0.1']);
  });

  test('included on request, filtered by name or predicate', () => {
    const got = listLocalAddresses(
      interfaces,
      {
        includeLoopback: true,
        includeLinkLocal: true,
        includeTemporary: true,
        excludeInterfaces: [/^docker/],
      },
      flags,
    );
    expect(got.map((a) => a.address)).toEqual([
      '127.0.0.1',
      '::1',
      '192.0.2.10',
      '2001:db8::10',
      '2001:db8::abcd',
      'fe80::1',
    ]);
    expect(got.find((a) => a.address === 'fe80::1')?.scopeId).toBe(2);
    expect(
      listLocalAddresses(interfaces, { ipv6: false, filter: (a) => a.interfaceName === 'eth0' }, flags),
    ).toEqual([{ interfaceName: 'eth0', address: '192.0.2.10', family: 'IPv4' }]);
  });

  test('default route adapter from /proc/net/route', () => {
    const route = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0',
      'eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0',
      'eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0',
    ].join('\n');
    expect(defaultRouteInterface(route)).toBe('eth0');
    expect(defaultRouteInterface('Iface\tDestination\n')).toBeUndefined();
  });
});
