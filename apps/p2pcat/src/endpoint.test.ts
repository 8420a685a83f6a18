import { describe, expect, it } from 'vitest';
import { prepareEndpoint } from './endpoint.js';

describe('host socket adaptations', () => {
  it('the connection from prepareEndpoint drops unsendable datagrams instead of throwing, before and after close', async () => {
    const lines: string[] = [];
    const ep = await prepareEndpoint({
      role: 'inviter',
      stunServers: [],
      turnServers: [],
      portMapping: false,
      ipv4: true,
      ipv6: false,
      includeLoopback: true,
      gatherTimeout: 500,
      connectTimeout: 1000,
      log: (l) => lines.push(l),
    });
    const base = ep.ice.agent.getLocalCandidates()[0]!.address;
    expect(ep.candidates.length).toBeGreaterThan(0);
    // A destination dgram refuses (port 0, a bad port): dropped and noted once per error code.
    expect(() =>
      ep.ice.sendFromBase(base, new Uint8Array(4), { family: 'IPv4', address: '127.0.0.1', port: 0 }),
    ).not.toThrow();
    expect(() =>
      ep.ice.sendFromBase(base, new Uint8Array(4), { family: 'IPv4', address: '127.0.0.1', port: 0 }),
    ).not.toThrow();
    expect(lines.filter((l) => /a datagram was not sent/.test(l))).toHaveLength(1);
    await ep.close();
    // After close (the host sockets are closed): nothing sent, nothing thrown.
    expect(() =>
      ep.ice.sendFromBase(base, new Uint8Array(4), { family: 'IPv4', address: '127.0.0.1', port: 9 }),
    ).not.toThrow();
    expect(ep.gathering.hostBases).toHaveLength(0);
  });
});
