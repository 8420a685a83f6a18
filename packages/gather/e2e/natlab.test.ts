// Gathering from a host behind a real symmetric Linux NAT whose router runs miniupnpd, with
// coturn on the lab's internet: host, server-reflexive, relayed and port-mapped candidates.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPrerequisites, createLab, type Lab } from '@p2pcat/natlab';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const pre = checkPrerequisites({ root: true, commands: ['ip', 'iptables', 'turnserver', 'miniupnpd'] });
const script = join(fileURLToPath(new URL('.', import.meta.url)), 'gather-once.mjs');

interface Result {
  candidates: {
    type: string;
    address: string;
    port: number;
    source: string;
    relatedAddress?: { address: string };
  }[];
  failures: { source: string; message: string }[];
  elapsedMs: number;
}

describe.skipIf(pre.skip)('gathering in the NAT lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab({
      routers: [{ nat: 'symmetric', miniupnpd: true }],
      coturn: { users: { alice: 'wonderland' }, realm: 'lab.test', tls: false },
    });
  }, 120_000);
  afterAll(async () => {
    await lab?.down();
  });

  async function gatherIn(host: string, options: object): Promise<Result> {
    const r = await lab.exec(host, process.execPath, [script, JSON.stringify(options)]);
    return JSON.parse(r.stdout) as Result;
  }

  test('host, server-reflexive, relayed and port-mapped candidates with the right addresses', async () => {
    const server = lab.server.addresses[0]!;
    const r = await gatherIn('h1', {
      stunServers: [`${server}:${lab.coturn!.port}`],
      turnServers: [`turn:alice:wonderland@${server}:${lab.coturn!.port}`],
      portMapping: true,
      timeout: 5000,
    });
    const wan = lab.routers[0]!.wanAddress;
    const byType = (t: string) => r.candidates.filter((c) => c.type === t);
    expect(byType('host').map((c) => c.address)).toContain(lab.routers[0]!.host.address);
    const stunSrflx = byType('srflx').filter((c) => c.source.includes(server));
    expect(stunSrflx.length).toBeGreaterThan(0);
    expect(stunSrflx[0]!.address).toBe(wan);
    const relay = byType('relay');
    expect(relay).toHaveLength(1);
    expect(lab.server.addresses).toContain(relay[0]!.address);
    // Behind this symmetric NAT the STUN-learned port is useless to a peer, the mapped one is
    // the way in: both are kept (libnice drops the mapped one as redundant).
    expect(r.failures.filter((f) => f.source === 'port mapping')).toEqual([]);
    const mapped = byType('srflx').filter((c) => ['pcp', 'nat-pmp', 'upnp-igd'].includes(c.source));
    expect(mapped).toHaveLength(1);
    expect(mapped[0]!.address).toBe(wan);
    expect(mapped[0]!.port).not.toBe(stunSrflx[0]!.port);
  }, 60_000);

  test('an unreachable STUN server costs its deadline, not the whole gathering', async () => {
    const server = lab.server.addresses[0]!;
    const r = await gatherIn('h1', {
      stunServers: [`${server}:9`, `${server}:${lab.coturn!.port}`],
      stunTimeout: 800,
      timeout: 5000,
      portMapping: false,
    });
    expect(r.elapsedMs).toBeLessThan(1500);
    expect(r.candidates.some((c) => c.type === 'srflx')).toBe(true);
    expect(r.failures.some((f) => f.source.includes(':9'))).toBe(true);
  }, 30_000);
});
