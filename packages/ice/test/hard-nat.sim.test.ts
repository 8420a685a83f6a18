// The hard-NAT extension on the simulated network (issue 17): a port-restricted cone NAT against a
// symmetric NAT that allocates sequentially or at random, seeded, no relay.
import type { TransportAddress } from '@p2pcat/stun';
import { describe, expect, it } from 'vitest';
import { IceAgent, type IceAgentOptions, type IceEvent, seededRandom } from '../src/index.js';
import { SimNat, type SimNatAllocation, SimNetwork, type SimNode, v4 } from './sim-network.js';

const SERVERS: TransportAddress[] = [v4('198.51.100.1', 3478), v4('198.51.100.2', 3478)];

interface Side {
  base: TransportAddress;
  nat: SimNat;
  hardNat?: boolean;
}

/** Two agents; each asks two STUN servers from its base (two srflx candidates) and signals all. */
function setup(seed: number, a: Side, b: Side, delay: [number, number] = [20, 30]) {
  const net = new SimNetwork({ seed, delay });
  const opts = (s: Side): IceAgentOptions => ({
    timing: { connectTimeout: 15_000 },
    ...(s.hardNat === false ? {} : { hardNat: {} }),
  });
  const A = new IceAgent({ random: seededRandom(seed * 7 + 1), role: 'controlling', ...opts(a) });
  const B = new IceAgent({ random: seededRandom(seed * 7 + 2), role: 'controlled', ...opts(b) });
  const na = net.add('A', A, a.base, a.nat);
  const nb = net.add('B', B, b.base, b.nat);
  for (const [n, s] of [
    [na, a],
    [nb, b],
  ] as const) {
    n.agent.addLocalCandidate({ type: 'host', address: s.base });
    for (const server of SERVERS)
      n.agent.addLocalCandidate({
        type: 'srflx',
        address: s.nat.reflexive(s.base, server),
        base: s.base,
        server,
        relatedAddress: s.base,
      });
    n.agent.endOfLocalCandidates();
    openSocketsOnRequest(n, 31000);
  }
  for (const [x, y] of [
    [na, nb],
    [nb, na],
  ] as const) {
    y.agent.setRemoteCredentials(x.agent.localCredentials);
    for (const c of x.agent.getLocalCandidates())
      y.agent.addRemoteCandidate({
        type: c.type,
        address: c.address,
        priority: c.priority,
        foundation: c.foundation,
      });
    y.agent.endOfRemoteCandidates();
    y.agent.setRemoteHardNat(x.agent.localHardNatProfile);
  }
  return { net, A, B, na, nb };
}

/** What an adapter does on 'sockets-wanted': bind that many sockets (here: addresses) and hand them over. */
function openSocketsOnRequest(n: SimNode, firstPort: number): void {
  n.onEvent = (e: IceEvent) => {
    if (e.type !== 'hard-nat' || e.phase !== 'sockets-wanted') return;
    for (let i = 0; i < e.count; i++) {
      const a = v4(n.base.address, firstPort + i);
      n.bases.push(a);
      n.agent.addProbeBase(a);
    }
  };
}

const connected = (n: SimNode) => n.events.some((e) => e.type === 'state' && e.state === 'connected');
const connectedAt = (n: SimNode) =>
  n.eventTimes[n.events.findIndex((e) => e.type === 'state' && e.state === 'connected')];
const hardEvents = (n: SimNode) => n.events.filter((e) => e.type === 'hard-nat');

const cone = (ip: string) => new SimNat(ip, 'EIM', 'APDF');
const symmetric = (ip: string, allocation: SimNatAllocation) => new SimNat(ip, 'APDM', 'APDF', allocation);

function run(seed: number, a: Side, b: Side, cross?: (net: SimNetwork) => void) {
  const s = setup(seed, a, b);
  const until = 20_000;
  if (cross) {
    // other hosts' flows interleave with ours while the agents run
    for (let t = 0; t < until && !(connected(s.na) && connected(s.nb)); t += 100) {
      cross(s.net);
      s.net.run(t + 100, () => connected(s.na) && connected(s.nb));
    }
  } else s.net.run(until, () => connected(s.na) && connected(s.nb));
  return s;
}

describe('hard NAT extension (simulated)', () => {
  it('port-restricted vs sequential symmetric: the cone side probes the predicted ports; a prflx pair connects', () => {
    const { na, nb, A, B } = run(
      1,
      { base: v4('10.0.0.2', 5000), nat: cone('203.0.113.1') },
      { base: v4('10.1.0.2', 6000), nat: symmetric('203.0.113.2', { kind: 'sequential', step: 2 }) },
    );
    expect(connected(na) && connected(nb)).toBe(true);
    expect(A.localHardNatProfile).toEqual({ mapping: 'open' });
    expect(B.localHardNatProfile).toEqual({ mapping: 'sequential', step: 2, lastPort: 40002 });
    const started = hardEvents(na).find((e) => e.type === 'hard-nat' && e.phase === 'started');
    expect(started).toMatchObject({ strategy: 'open-predicted', target: { address: '203.0.113.2' } });
    expect(hardEvents(nb).find((e) => e.type === 'hard-nat' && e.phase === 'started')).toMatchObject({
      strategy: 'keep-sending',
    });
    // the path is a peer-reflexive pair: B's mapping towards A, learned from its check
    const sel = A.getActivePair();
    expect(sel?.remote.type).toBe('prflx');
    expect(sel?.remote.address.address).toBe('203.0.113.2');
    // started after 2 s; a hit within the first few predicted ports
    expect(connectedAt(na)).toBeLessThan(3_000);
    expect(na.sent).toBeLessThan(1_200);
  });

  it('sequential with other hosts taking ports in between still connects', () => {
    const hard = symmetric('203.0.113.2', { kind: 'sequential', step: 1 });
    const { na, nb } = run(
      2,
      { base: v4('10.0.0.2', 5000), nat: cone('203.0.113.1') },
      { base: v4('10.1.0.2', 6000), nat: hard },
      () => {
        for (let i = 0; i < 5; i++) hard.takePort(); // 50 new flows a second
      },
    );
    expect(connected(na) && connected(nb)).toBe(true);
  });

  it('port-restricted vs random symmetric: birthday probing connects in >= 90 % of 20 seeds, within budget', () => {
    let ok = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { na, nb } = run(
        seed,
        { base: v4('10.0.0.2', 5000), nat: cone('203.0.113.1') },
        { base: v4('10.1.0.2', 6000), nat: symmetric('203.0.113.2', { kind: 'random', seed }) },
      );
      if (connected(na) && connected(nb)) ok++;
      // each side: at most 1,200 probes, plus the ordinary checks
      for (const n of [na, nb]) {
        const fin = hardEvents(n).find((e) => e.type === 'hard-nat' && e.phase === 'finished');
        if (fin?.type === 'hard-nat' && fin.phase === 'finished') expect(fin.sent).toBeLessThanOrEqual(1_200);
      }
      const started = hardEvents(nb).find((e) => e.type === 'hard-nat' && e.phase === 'started');
      expect(started).toMatchObject({ strategy: 'fresh-mappings' });
    }
    expect(ok).toBeGreaterThanOrEqual(18);
  });

  it('random vs random: nothing to try, said once, and nothing sent', () => {
    const { na, nb } = run(
      3,
      { base: v4('10.0.0.2', 5000), nat: symmetric('203.0.113.1', { kind: 'random', seed: 5 }) },
      { base: v4('10.1.0.2', 6000), nat: symmetric('203.0.113.2', { kind: 'random', seed: 6 }) },
    );
    expect(connected(na)).toBe(false);
    expect(hardEvents(na)).toEqual([
      { type: 'hard-nat', phase: 'skipped', why: expect.stringMatching(/cannot help/) },
    ]);
    expect(nb.sent).toBeLessThan(100);
  });

  it('a peer without the extension: no probe at all (ordinary ICE unaffected)', () => {
    const { na, nb } = run(
      4,
      { base: v4('10.0.0.2', 5000), nat: cone('203.0.113.1') },
      { base: v4('10.1.0.2', 6000), nat: symmetric('203.0.113.2', { kind: 'sequential' }), hardNat: false },
    );
    expect(connected(na)).toBe(false);
    expect(hardEvents(na)).toEqual([]);
    expect(hardEvents(nb)).toEqual([]);
    expect(na.sent).toBeLessThan(100);
  });

  it('two cone NATs connect as fast as without the extension and never probe', () => {
    const times: number[] = [];
    for (const hardNat of [false, true]) {
      const { na, nb } = run(
        5,
        { base: v4('10.0.0.2', 5000), nat: cone('203.0.113.1'), hardNat },
        { base: v4('10.1.0.2', 6000), nat: cone('203.0.113.2'), hardNat },
      );
      expect(connected(na) && connected(nb)).toBe(true);
      expect(hardEvents(na)).toEqual([]);
      times.push(connectedAt(na) as number);
    }
    expect(times[1]).toBe(times[0]);
  });
});
