import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deque } from '../src/core/deque.js';

describe('Deque', () => {
  it('behaves as an array used as a queue, across growth and wrap-around', () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer() }),
      fc.constant({ shift: true as const }),
      fc.constant({ clear: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: -2, max: 70 }), (ops, probe) => {
        const d = new Deque<number>();
        const model: number[] = [];
        for (const o of ops) {
          if ('push' in o) {
            d.push(o.push);
            model.push(o.push);
          } else if ('shift' in o) {
            expect(d.shift()).toBe(model.shift());
          } else {
            d.clear();
            model.length = 0;
          }
          expect(d.length).toBe(model.length);
          expect(d.peek()).toBe(model[0]);
          expect(d.at(probe)).toBe(probe < 0 ? undefined : model[probe]);
        }
        for (let i = 0; i < model.length; i++) expect(d.at(i)).toBe(model[i]);
      }),
      { seed: 18, numRuns: 300 },
    );
  });

  it('keeps its order when it grows while wrapped', () => {
    const d = new Deque<number>();
    for (let i = 0; i < 10; i++) d.push(i);
    for (let i = 0; i < 8; i++) d.shift();
    for (let i = 10; i < 40; i++) d.push(i); // wraps, then grows twice
    const out: number[] = [];
    for (let x = d.shift(); x !== undefined; x = d.shift()) out.push(x);
    expect(out).toEqual(Array.from({ length: 32 }, (_, i) => i + 8));
  });
});
