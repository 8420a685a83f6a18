// e2e: RFC 5780 NAT behaviour discovery classifies each NAT type of the natlab (real Linux NATs in
// network namespaces), against coturn with two addresses and against our own stun-server.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkPrerequisites, createLab, type Lab } from '@p2pcat/natlab';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { NatBehavior } from '../src/index.js';

const bin = (name: string) => fileURLToPath(new URL(`../dist/bin/${name}.js`, import.meta.url));
const pre = checkPrerequisites({ root: true, commands: ['turnserver', 'ip', 'iptables'] });
const built = existsSync(bin('nat-check')) && existsSync(bin('stun-server'));
if (!built) process.stderr.write('skipped: build packages/stun first (dist/bin missing)\n');

const OUR_PORT = 3480;
const routers = [
  { nat: 'none', hairpin: false },
  { nat: 'full-cone', hairpin: false },
  { nat: 'restricted', hairpin: true },
  { nat: 'symmetric', hairpin: false },
] as const;

const expected: Record<
  (typeof routers)[number]['nat'],
  Pick<NatBehavior, 'mapping' | 'filtering' | 'natPresent'>
> = {
  none: { natPresent: false, mapping: 'no-nat', filtering: 'endpoint-independent' },
  'full-cone': { natPresent: true, mapping: 'endpoint-independent', filtering: 'endpoint-independent' },
  restricted: { natPresent: true, mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' },
  symmetric: {
    natPresent: true,
    mapping: 'address-and-port-dependent',
    filtering: 'address-and-port-dependent',
  },
};

describe.skipIf(pre.skip || !built)('nat-check across the natlab NATs', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab({
      name: 'stun nat-check',
      routers: routers.map((r) => ({ ...r })),
      coturn: { tls: false },
      stunServer: {
        command: process.execPath,
        args: [
          bin('stun-server'),
          '--listen',
          `{primary}:${OUR_PORT}`,
          '--alt',
          `{alternate}:${OUR_PORT + 1}`,
        ],
      },
    });
  }, 120_000);
  afterAll(async () => {
    await lab?.down();
  }, 60_000);

  async function natCheck(hostIndex: number, port: number): Promise<NatBehavior> {
    const r = await lab.exec(
      `h${hostIndex + 1}`,
      process.execPath,
      [bin('nat-check'), '--stun', `${lab.server.address}:${port}`, '--timeout', '1500', '--json'],
      { allowFailure: true },
    );
    if (r.code !== 0) throw new Error(`nat-check failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as NatBehavior;
  }

  for (const [i, router] of routers.entries()) {
    for (const server of ['coturn', 'our stun-server'] as const) {
      test(`${router.nat} NAT, against ${server}`, async () => {
        const port = server === 'coturn' ? (lab.coturn?.port ?? 3478) : OUR_PORT;
        const b = await natCheck(i, port);
        expect(b.rfc5780).toBe(true);
        expect(b).toMatchObject(expected[router.nat]);
        const r = lab.routers[i]!;
        // The STUN answer names the NAT's public mapping (or the host itself without NAT).
        expect(b.mapped.address).toBe(router.nat === 'none' ? r.host.address : r.wanAddress);
        if (router.nat === 'restricted') expect(b.hairpinning).toBe(true);
        if (router.nat === 'full-cone' || router.nat === 'restricted') expect(b.portPreservation).toBe(true);
        if (router.nat === 'symmetric') expect(b.hairpinning).toBe(false);
        expect(b.notes).toEqual([]);
      });
    }
  }
});
