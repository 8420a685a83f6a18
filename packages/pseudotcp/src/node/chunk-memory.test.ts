// Chunk memory for the reader: pooled blocks (native addon) or Buffer.allocUnsafe, never shared
// between live chunks. The package's test script runs this file with and without the addon.
import { describe, expect, test } from 'vitest';
import { allocChunk } from './chunk-memory.js';

describe('allocChunk', () => {
  test('gives chunks of the asked size that never overlap while they live', async () => {
    for (let round = 0; round < 3; round++) {
      const sizes = [1, 1000, 64 * 1024, 100_000, 256 * 1024, 300_000];
      const chunks = sizes.map((n, i) => allocChunk(n).fill(i + 1));
      chunks.forEach((c, i) => {
        expect(c.length).toBe(sizes[i]);
        expect(Buffer.isBuffer(c)).toBe(true);
        expect(c.every((x) => x === i + 1)).toBe(true);
      });
      // Slices outlive their chunk object: the memory stays theirs.
      const slice = chunks[4]?.subarray(10, 20);
      chunks.length = 0;
      await new Promise((r) => setImmediate(r));
      const more = Array.from({ length: 20 }, () => allocChunk(256 * 1024).fill(0xee));
      expect(slice?.every((x) => x === 5)).toBe(true);
      expect(more.every((c) => c.length === 256 * 1024)).toBe(true);
    }
  });
});
