// Memory for the chunks a PseudoTcpStream pushes to its reader. Each chunk is new memory (the
// reader may keep it), and new memory costs a page fault per 4 KiB when the copy first touches
// it: with the native addon, large chunks come from its pool of blocks that the garbage collector
// gave back, whose pages are still mapped. Without the addon (or P2PCAT_NO_NATIVE=1), and for
// small chunks (a block would be mostly unused while the reader keeps the chunk),
// Buffer.allocUnsafe as before.
// The pool keeps blocks only while a stream uses it (useChunkMemory): a long-lived process that
// moves one file now and then does not hold up to 16 MiB between its transfers.
import { udpBatchAddon } from './udp-batch.js';

/** Chunks at least this large come from the addon's pool (its blocks are 256 KiB). */
const POOLED_MIN = 64 * 1024;

/** `size` bytes of uninitialised memory for a chunk that the caller fills entirely. */
export function allocChunk(size: number): Buffer {
  if (size >= POOLED_MIN) {
    const native = udpBatchAddon();
    if (native !== undefined && size <= native.chunkBytes) {
      const pooled = native.chunk(size);
      if (pooled !== null) return pooled;
    }
  }
  return Buffer.allocUnsafe(size);
}

/**
 * Declares one more user of the pool (a stream that will ask for chunks) and returns the function
 * that declares it done (later calls do nothing). While there is a user, blocks that come back
 * are kept for reuse; when the last one is done, the kept blocks are freed, and blocks of chunks a
 * reader still holds are freed when they come back. Does nothing without the addon.
 */
export function useChunkMemory(): () => void {
  const native = udpBatchAddon();
  if (native === undefined) return () => {};
  native.chunkUse(1);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    native.chunkUse(-1);
  };
}

/** How many blocks the pool keeps for reuse now (0 without the addon). For tests. */
export function keptChunkBlocks(): number {
  return udpBatchAddon()?.chunkUse(0) ?? 0;
}
