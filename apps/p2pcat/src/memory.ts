// Garbage of a transfer, collected while it is small.
//
// Each 64 KiB record leaves a few large buffers behind (the cipher's output, the record, the
// stream's chunks, the datagrams): outside V8's heap, freed only when the young generation is
// collected. That collection comes when the JS heap's nursery fills, which these few small objects
// take tens of MB of records to do: meanwhile the buffers pile up (20-26 MiB at the peak) and the
// allocator keeps the pages. A young-generation collection every MiB of records frees them while
// they are few (external buffers then peak at 5-9 MiB instead of 20-26; every 4 MiB still let
// them reach 19); one costs about 0.15 ms, 3 % of a core at 200 MB/s.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bytes of records between two young-generation collections. */
export const COLLECT_EVERY_BYTES = 1024 * 1024;

let collectYoung: (() => void) | undefined;
let sinceLast = 0;

/**
 * Turns on the collections (the CLI does; a library user keeps V8's own schedule). V8 hands out
 * its `gc` function to contexts made after --expose-gc is set.
 */
export function enableYoungCollections(): void {
  if (collectYoung) return;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
    if (typeof gc === 'function') collectYoung = () => gc({ type: 'minor' });
  } catch {
    // not available in this runtime: V8's own schedule
  }
}

/** Counts `n` bytes of records; collects the young generation every COLLECT_EVERY_BYTES. */
export function recordBytes(n: number): void {
  if (collectYoung === undefined) return;
  sinceLast += n;
  if (sinceLast < COLLECT_EVERY_BYTES) return;
  sinceLast = 0;
  collectYoung();
}
