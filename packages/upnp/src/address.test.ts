import { describe, expect, it } from 'vitest';
import { isDoubleNatAddress, parseIPv4, sameSubnet } from './address.js';

describe('IPv4 helpers', () => {
  it('flags private and CGNAT external addresses as double NAT', () => {
    for (const a of [
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '100.64.0.1',
      '100.127.255.254',
      '169.254.1.1',
      '0.0.0.0',
      'junk',
    ]) {
      expect(isDoubleNatAddress(a), a).toBe(true);
    }
    for (const a of ['203.0.113.5', '100.128.0.1', '172.32.0.1', '8.8.8.8', '11.113.0.1']) {
      expect(isDoubleNatAddress(a), a).toBe(false);
    }
  });
  it('checks subnets', () => {
    expect(sameSubnet('192.168.1.1', '192.168.1.77', '255.255.255.0')).toBe(true);
    expect(sameSubnet('192.168.2.1', '192.168.1.77', '255.255.255.0')).toBe(false);
    expect(sameSubnet('evil.example', '192.168.1.77', '255.255.255.0')).toBe(false);
  });
  it('parses strictly', () => {
    expect(parseIPv4('1.2.3.4')).toBe(0x01020304);
    for (const bad of ['1.2.3', '1.2.3.256', '1.2.3.4.5', ' 1.2.3.4', '0x1.2.3.4'])
      expect(parseIPv4(bad)).toBeUndefined();
  });
});
