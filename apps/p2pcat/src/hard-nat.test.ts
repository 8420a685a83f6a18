import { describe, expect, it } from 'vitest';
import { describeHardNatEvent, hardNatProfileOf } from './hard-nat.js';

const obs = (basePort: number, mappedPort: number, address = '10.0.1.2') => ({
  base: { family: 'IPv4', address, port: basePort },
  mapped: { family: 'IPv4', port: mappedPort },
});

describe('hardNatProfileOf', () => {
  it('reads the first IPv4 base that two servers answered', () => {
    expect(hardNatProfileOf([])).toBeUndefined();
    expect(hardNatProfileOf([obs(5000, 5000)])).toBeUndefined();
    expect(hardNatProfileOf([obs(5000, 5000), obs(5000, 5000)])).toEqual({ mapping: 'open' });
    expect(hardNatProfileOf([obs(5000, 20007), obs(6000, 1), obs(5000, 20006)])).toEqual({
      mapping: 'sequential',
      step: 1,
      lastPort: 20007,
    });
    expect(hardNatProfileOf([obs(5000, 1200), obs(5000, 40000)])).toEqual({ mapping: 'random' });
  });
});

describe('describeHardNatEvent', () => {
  it('one line per phase', () => {
    expect(describeHardNatEvent({ type: 'hard-nat', phase: 'skipped', why: 'x' })).toBe(
      'hard NAT: not tried (x)',
    );
    expect(
      describeHardNatEvent({
        type: 'hard-nat',
        phase: 'started',
        strategy: 'open-random',
        why: 'w',
        target: { family: 'IPv4', address: '203.0.113.2', port: 1 },
        planned: 1024,
        rate: 250,
      }),
    ).toBe('hard NAT: open-random towards 203.0.113.2 (w): up to 1024 datagrams at 250/s');
    expect(describeHardNatEvent({ type: 'hard-nat', phase: 'finished', sent: 12, connected: true })).toMatch(
      /12 datagrams sent, a path was found/,
    );
  });
});

describe('describePortAllocation', () => {
  it('says what each allocation means for direct connections', async () => {
    const { describePortAllocation } = await import('./hard-nat.js');
    expect(describePortAllocation(undefined)).toMatch(/not measured/);
    expect(describePortAllocation({ mapping: 'open' })).toMatch(/one mapping for all/);
    expect(describePortAllocation({ mapping: 'sequential', step: 2, lastPort: 20002 })).toMatch(
      /sequential \(step 2\)/,
    );
    expect(describePortAllocation({ mapping: 'random' })).toMatch(/random: .*birthday/);
  });
});
