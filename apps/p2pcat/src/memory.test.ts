import { describe, expect, it } from 'vitest';
import {
  COLLECT_EVERY_BYTES,
  enableFullCollections,
  enableYoungCollections,
  FULL_COLLECT_EVERY_BYTES,
  recordBytes,
} from './memory.js';

describe('young-generation collections', () => {
  it('counts records without collecting until enabled, then collects without failing', () => {
    recordBytes(COLLECT_EVERY_BYTES * 3); // not enabled: a no-op
    enableYoungCollections();
    enableYoungCollections(); // idempotent
    for (let i = 0; i < 8; i++) recordBytes(COLLECT_EVERY_BYTES / 2);
    expect(COLLECT_EVERY_BYTES).toBe(1024 * 1024);
  });
});

describe('full collections', () => {
  it('a full collection every FULL_COLLECT_EVERY_BYTES of records does not fail', () => {
    enableFullCollections(4 * COLLECT_EVERY_BYTES);
    for (let i = 0; i < 12; i++) recordBytes(COLLECT_EVERY_BYTES);
    expect(FULL_COLLECT_EVERY_BYTES).toBe(32 * 1024 * 1024);
  });
});
