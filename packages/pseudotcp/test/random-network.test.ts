import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PseudoTcp } from '../src/core/pseudotcp.js';
import { Prng } from './prng.js';
import { SimNetwork, transfer } from './sim.js';

describe('random networks (fast-check over link parameters and seeds)', () => {
  it('every transfer completes with equal sha256 and both sides close normally', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          size: fc.integer({ min: 0, max: 400_000 }),
          delayMs: fc.integer({ min: 0, max: 150 }),
          jitterMs: fc.integer({ min: 0, max: 20 }),
          loss: fc.double({ min: 0, max: 0.15, noNaN: true }),
          duplicate: fc.double({ min: 0, max: 0.1, noNaN: true }),
          rate: fc.option(fc.integer({ min: 200, max: 20_000 }), { nil: undefined }),
          finAckA: fc.boolean(),
          finAckB: fc.boolean(),
          oneSided: fc.boolean(),
          cc: fc.constantFrom('bbr' as const, 'newreno' as const),
          ackDelay: fc.constantFrom(0, 100),
        }),
        (c) => {
          const data = new Prng(c.seed).bytes(c.size);
          const link = {
            delayMs: c.delayMs,
            jitterMs: c.jitterMs,
            loss: c.loss,
            duplicate: c.duplicate,
            rate: c.rate,
          };
          const net = new SimNetwork(
            [
              new PseudoTcp({ finAck: c.finAckA, congestionControl: c.cc, ackDelay: c.ackDelay }),
              new PseudoTcp({ finAck: c.finAckB, ackDelay: c.ackDelay }),
            ],
            c.seed,
            link,
          );
          const r = transfer(net, data, { oneSided: c.oneSided, closeAtEnd: true, limitMs: 3_600_000 });
          expect(r.ok).toBe(true);
          expect(r.receivedHash).toBe(r.sentHash);
          for (const evs of net.events) {
            const closed = evs.filter((e) => e.type === 'closed');
            expect(closed).toEqual([{ type: 'closed', reason: 'normal' }]);
          }
        },
      ),
      { numRuns: 100, seed: 20261122 },
    );
  }, 60_000);
});
