import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReassemblyIntervals } from './reassembly.js';

describe('ReassemblyIntervals', () => {
  it('merges overlapping and touching ranges and reports the highest end', () => {
    const r = new ReassemblyIntervals();
    expect(r.isEmpty).toBe(true);
    expect(r.highestEnd).toBeUndefined();
    r.insert(200, 300);
    r.insert(500, 600);
    r.insert(300, 350); // touches the first
    expect(r.highestEnd).toBe(600);
    expect(r.advance(100)).toBe(100); // a hole at 100-200 remains
    expect(r.advance(200)).toBe(350); // [200, 350) taken in, [500, 600) still held
    expect(r.isEmpty).toBe(false);
    r.insert(340, 520); // bridges to the second
    expect(r.advance(350)).toBe(600);
    expect(r.isEmpty).toBe(true);
  });

  it('advances RCV.NXT exactly over the bytes a byte set model holds contiguously', () => {
    const range = fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 40 }));
    fc.assert(
      fc.property(fc.array(range, { maxLength: 40 }), fc.integer({ min: 0, max: 350 }), (ranges, from) => {
        const r = new ReassemblyIntervals();
        const held = new Set<number>();
        for (const [start, len] of ranges) {
          r.insert(start, start + len);
          for (let i = start; i < start + len; i++) held.add(i);
        }
        const highest = held.size === 0 ? undefined : Math.max(...held) + 1;
        expect(r.highestEnd).toBe(highest);
        // Model: RCV.NXT moves over held bytes at or after it; ranges wholly below it are dropped.
        let next = from;
        while (held.has(next)) next++;
        expect(r.advance(from)).toBe(next);
        const rest = [...held].filter((b) => b > next);
        expect(r.isEmpty).toBe(rest.length === 0);
        if (rest.length > 0) expect(r.highestEnd).toBe(Math.max(...rest) + 1);
      }),
    );
  });
});
