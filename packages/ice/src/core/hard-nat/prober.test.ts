import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.js';
import { boundedLimits, DEFAULT_HARD_NAT_LIMITS, HardNatProber, type Probe } from './prober.js';

function drain(p: HardNatProber, until: number): { at: number; probe: Probe }[] {
  const out: { at: number; probe: Probe }[] = [];
  for (let t = p.pollTimeout(); t !== undefined && t <= until; t = p.pollTimeout()) {
    p.handleTimeout(t);
    for (let x = p.pollProbe(); x; x = p.pollProbe()) out.push({ at: t, probe: x });
  }
  return out;
}

describe('HardNatProber', () => {
  const limits = boundedLimits();

  it('open-predicted: the next ports by the step, paced at the rate', () => {
    const p = new HardNatProber(
      'open-predicted',
      { mapping: 'sequential', step: 2, lastPort: 20004 },
      20000,
      limits,
      seededRandom(1),
      1000,
    );
    const sent = drain(p, 1e9);
    expect(sent.slice(0, 3).map((s) => s.probe)).toEqual([
      { port: 20006, from: 'base' },
      { port: 20008, from: 'base' },
      { port: 20010, from: 'base' },
    ]);
    expect(sent.length).toBe(1_200);
    // 250/s: probe i at 1000 + 4 i ms, the last one before the 5 s end
    expect(sent[250]?.at).toBe(2000);
    expect(sent[sent.length - 1]?.at).toBeLessThan(6000);
    expect(p.finished).toBe(true);
  });

  it('open-random: distinct random ports in 1024..65535', () => {
    const p = new HardNatProber('open-random', { mapping: 'random' }, 40000, limits, seededRandom(7), 0);
    const ports = drain(p, 1e9).map((s) => s.probe.port);
    expect(ports.length).toBe(1_024);
    expect(new Set(ports).size).toBe(1_024);
    expect(Math.min(...ports)).toBeGreaterThanOrEqual(1024);
    expect(Math.max(...ports)).toBeLessThanOrEqual(65535);
  });

  it('fresh-mappings: rounds over the sockets, within budget and 5 s', () => {
    const p = new HardNatProber('fresh-mappings', { mapping: 'open' }, 5000, limits, seededRandom(1), 0, 256);
    const sent = drain(p, 1e9);
    expect(sent.length).toBe(1_200);
    expect(sent.slice(0, 2).map((s) => s.probe)).toEqual([
      { port: 5000, from: 0 },
      { port: 5000, from: 1 },
    ]);
    expect(sent[256]?.probe.from).toBe(0);
    expect(sent[sent.length - 1]?.at).toBeLessThan(5000);
  });

  it('keep-sending: the one mapping, every 200 ms', () => {
    const p = new HardNatProber('keep-sending', { mapping: 'open' }, 5000, limits, seededRandom(1), 0);
    const sent = drain(p, 1e9);
    expect(sent.length).toBe(25);
    expect(sent[1]?.at).toBe(200);
  });

  it('limits cannot be raised past the ceilings', () => {
    expect(boundedLimits({ rate: 1e6, budget: 1e6, duration: 1e6 })).toMatchObject({
      rate: 1000,
      budget: 1200,
      duration: 5000,
    });
    expect(DEFAULT_HARD_NAT_LIMITS.budget).toBe(1200);
  });

  it('a late tick catches up but never sends more than planned', () => {
    const p = new HardNatProber('open-random', { mapping: 'random' }, 1, limits, seededRandom(3), 0);
    p.handleTimeout(4999);
    let n = 0;
    while (p.pollProbe()) n++;
    expect(n).toBe(1024);
    p.handleTimeout(10_000);
    expect(p.pollProbe()).toBeUndefined();
  });
});
