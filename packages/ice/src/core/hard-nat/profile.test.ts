import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planHardNat } from './plan.js';
import { decodeHardNatProfile, encodeHardNatProfile, profileFromMappedPorts } from './profile.js';

describe('hard-NAT profile', () => {
  it('classifies the ports one socket got from several servers', () => {
    expect(profileFromMappedPorts([40000])).toBeUndefined();
    expect(profileFromMappedPorts([5000, 5000])).toEqual({ mapping: 'open' });
    expect(profileFromMappedPorts([20000, 20002, 20004])).toEqual({
      mapping: 'sequential',
      step: 2,
      lastPort: 20004,
    });
    // other hosts took ports in between: the smallest delta is the step's upper bound
    expect(profileFromMappedPorts([20000, 20003, 20004])).toEqual({
      mapping: 'sequential',
      step: 1,
      lastPort: 20004,
    });
    expect(profileFromMappedPorts([31337, 60012])).toEqual({ mapping: 'random' });
    // servers asked at once answer in any order
    expect(profileFromMappedPorts([20004, 20000])).toEqual({
      mapping: 'sequential',
      step: 4,
      lastPort: 20004,
    });
    expect(profileFromMappedPorts([20000, 20000, 20001])).toEqual({ mapping: 'random' });
  });

  it('encodes and decodes', () => {
    for (const p of [
      { mapping: 'open' as const },
      { mapping: 'random' as const },
      { mapping: 'sequential' as const, step: 3, lastPort: 20009 },
    ])
      expect(decodeHardNatProfile(encodeHardNatProfile(p))).toEqual(p);
    for (const bad of ['', 's0.1', 's1.0', 's33.100', 's1.65536', 'x', 's1.1.1', 'O'])
      expect(decodeHardNatProfile(bad)).toBeUndefined();
  });

  it('decoding arbitrary text returns a profile or undefined, never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (t) => {
        const p = decodeHardNatProfile(t);
        if (p) expect(encodeHardNatProfile(p)).toBe(t.replace(/^s0*(\d)/, 's$1').replace(/\.0*(\d)/, '.$1'));
      }),
    );
  });

  it('plans: each side of a pair gets the complementary strategy', () => {
    const open = { mapping: 'open' as const };
    const seq = { mapping: 'sequential' as const, step: 1, lastPort: 20001 };
    const rnd = { mapping: 'random' as const };
    expect(planHardNat(open, open).strategy).toBe('none');
    expect([planHardNat(open, seq).strategy, planHardNat(seq, open).strategy]).toEqual([
      'open-predicted',
      'keep-sending',
    ]);
    expect([planHardNat(open, rnd).strategy, planHardNat(rnd, open).strategy]).toEqual([
      'open-random',
      'fresh-mappings',
    ]);
    expect(planHardNat(seq, seq).strategy).toBe('open-predicted');
    expect([
      planHardNat(rnd, rnd).strategy,
      planHardNat(seq, rnd).strategy,
      planHardNat(rnd, seq).strategy,
    ]).toEqual(['none', 'none', 'none']);
  });
});
