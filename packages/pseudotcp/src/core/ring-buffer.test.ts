import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer.js';

/** Bytes of positions [start, end) as the ring reads them. */
function live(r: RingBuffer, start: number, end: number): number[] {
  const out = new Uint8Array(end - start);
  if (end > start) r.read(start, end - start, out, 0);
  return [...out];
}

/** The byte stored at position `pos` in the model: a pattern of the position itself. */
const pattern = (pos: number) => (pos * 131 + 7) & 0xff;

function fill(r: RingBuffer, start: number, end: number): void {
  const src = new Uint8Array(end - start);
  for (let i = 0; i < src.length; i++) src[i] = pattern(start + i);
  r.write(start, src);
}

describe('RingBuffer', () => {
  it('keeps the live bytes across growth, for any layout', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }), // first capacity
        fc.array(fc.record({ extra: fc.integer({ min: 1, max: 200 }), shift: fc.nat(1000) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.nat(5000), // where the live range starts
        (cap0, steps, start0) => {
          const r = new RingBuffer(cap0);
          let start = start0;
          let end = start + Math.floor(cap0 / 2);
          fill(r, start, end);
          for (const { extra, shift } of steps) {
            // Slide the live window (reads free the front, writes fill the back), then grow.
            const slide = Math.min(shift % (end - start + 1), end - start);
            start += slide;
            const room = r.capacity - (end - start);
            fill(r, end, end + room);
            end += room;
            const next = r.capacity + extra;
            r.grow(next, start, end);
            expect(r.capacity).toBe(next);
            expect(live(r, start, end)).toEqual(
              Array.from({ length: end - start }, (_, i) => pattern(start + i)),
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads and writes across the wrap', () => {
    const r = new RingBuffer(8);
    r.write(6, new Uint8Array([1, 2, 3, 4]));
    expect(live(r, 6, 10)).toEqual([1, 2, 3, 4]);
    r.grow(13, 6, 10);
    expect(live(r, 6, 10)).toEqual([1, 2, 3, 4]);
    r.grow(16, 6, 10);
    expect(live(r, 6, 10)).toEqual([1, 2, 3, 4]);
  });
});
