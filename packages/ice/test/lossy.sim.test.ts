// Issue 14 item 8: connecting over lossy, long paths. Both access links lose 5 % each way (a datagram
// between the two crosses two of them) and the round trip is about 300 ms; every NAT combination the
// simulator models, 20 seeds each.
import { describe, expect, it } from 'vitest';
import { gather, makePair, signal } from './helpers.js';
import { type Filtering, type Mapping, SimNat, v4 } from './sim-network.js';

type NatType = 'public' | `${Mapping}/${Filtering}`;
const TYPES: NatType[] = ['public', 'EIM/EIF', 'EIM/APDF', 'APDM/EIF', 'APDM/APDF'];

function peer(type: NatType, i: 0 | 1) {
  if (type === 'public') return { base: v4(`198.51.100.${10 + i}`, 5000 + i) };
  const [mapping, filtering] = type.split('/') as [Mapping, Filtering];
  return {
    base: v4(`10.${i}.0.2`, 5000 + i),
    nat: new SimNat(`203.0.113.${1 + i}`, mapping, filtering),
    srflx: true,
  };
}

/** Time (simulated ms) until both agents completed (nominated), or undefined within 30 s. */
function run(ta: NatType, tb: NatType, seed: number, accessLoss: number, delay: [number, number]) {
  const a = peer(ta, 0);
  const b = peer(tb, 1);
  const { net, A, B, na, nb } = makePair({ seed, delay }, a, b);
  na.accessLoss = accessLoss;
  nb.accessLoss = accessLoss;
  gather(na, a);
  gather(nb, b);
  signal(na, nb, { endOfCandidates: true });
  signal(nb, na, { endOfCandidates: true });
  const done = () => A.connectionState === 'completed' && B.connectionState === 'completed';
  const t = net.run(30_000, done);
  return done() ? t : undefined;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

describe('connecting over 5 % loss per access link and 300 ms RTT, every NAT pair with a path, 20 seeds', () => {
  it('connects in every run where a path exists', () => {
    // A path exists when the pair connects on a clean network (the simulator's NATs decide).
    const combos: [NatType, NatType][] = [];
    const noPath: string[] = [];
    for (const ta of TYPES)
      for (const tb of TYPES) {
        if (run(ta, tb, 1, 0, [150, 150]) !== undefined) combos.push([ta, tb]);
        else noPath.push(`${ta} x ${tb}`);
      }
    // Address-dependent mapping on one side needs endpoint-independent filtering on the other: a
    // symmetric NAT answers from a new port per destination, so with APDF on the far side (or APDM
    // there too, where each response comes from yet another port and fails the RFC 8445 §7.2.5.2.1
    // symmetry check) only a relay connects them.
    const apdm = ['APDM/EIF', 'APDM/APDF'];
    const expected: string[] = [];
    for (const x of apdm)
      for (const y of [...apdm, 'EIM/APDF']) {
        expected.push(`${x} x ${y}`);
        if (!apdm.includes(y)) expected.push(`${y} x ${x}`);
      }
    expect(noPath.sort()).toEqual(expected.sort());
    const times: number[] = [];
    const failures: string[] = [];
    const lines: string[] = [];
    for (const [ta, tb] of combos) {
      const mine: number[] = [];
      for (let seed = 1; seed <= 20; seed++) {
        const t = run(ta, tb, 1000 + seed, 0.05, [140, 160]);
        if (t === undefined) failures.push(`${ta} x ${tb} seed ${seed}`);
        else mine.push(t);
      }
      times.push(...mine);
      lines.push(
        `${ta} x ${tb}: ${mine.length}/20, median ${Math.round(median(mine))} ms, max ${Math.round(Math.max(...mine))} ms`,
      );
    }
    console.log(
      `${combos.length} NAT pairs x 20 seeds: ${times.length}/${combos.length * 20} connected; ` +
        `time to nominated (both sides) median ${Math.round(median(times))} ms, max ${Math.round(Math.max(...times))} ms\n${lines.join('\n')}`,
    );
    expect(failures).toEqual([]);
  });
});
