import { describe, expect, it } from 'vitest';
import { COLLECT_EVERY_BYTES, enableYoungCollections, recordBytes } from './memory.js';

describe('young-generation collections', () => {
  it('counts records without collecting until enabled, then collects without failing', () => {
    recordBytes(COLLECT_EVERY_BYTES * 3); // not enabled: a no-op
    enableYoungCollections();
    enableYoungCollections(); // idempotent
    for (let i = 0; i < 8; i++) recordBytes(COLLECT_EVERY_BYTES / 2);
    expect(COLLECT_EVERY_BYTES).toBe(1024 * 1024);
  });
});
