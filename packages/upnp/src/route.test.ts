import { describe, expect, it } from 'vitest';
import { parseDefaultRoutes } from './route.js';

const sample = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t50\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
tun0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0
`;

describe('parseDefaultRoutes (/proc/net/route)', () => {
  it('finds default routes with a gateway, lowest metric first, little-endian hex', () => {
    expect(parseDefaultRoutes(sample)).toEqual([
      { interfaceName: 'wlan0', gateway: '192.168.1.1', metric: 50 },
      { interfaceName: 'eth0', gateway: '192.0.2.1', metric: 100 },
    ]);
  });
  it('survives garbage', () => {
    expect(parseDefaultRoutes('')).toEqual([]);
    expect(parseDefaultRoutes('x\nfoo bar\n\t\t\n1 2 3 4 5 6 7 8')).toEqual([]);
  });
});
