// Memory for the chunks a PseudoTcpStream pushes to its reader. Each chunk is new memory (the
// reader may keep it), and new memory costs a page fault per 4 KiB when the copy first touches
// it: with the native addon, large chunks come from its pool of blocks that the garbage collector
// gave back, whose pages are still mapped. Without the addon (or P2PCAT_NO_NATIVE=1), and for
// small chunks (a block would be mostly unused while the reader keeps the chunk),
// Buffer.allocUnsafe as before.
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
