// Chunk memory for the reader: pooled blocks (native addon) or Buffer.allocUnsafe, never shared
// between live chunks, and kept only while a stream uses the pool. The package's test script runs
// this file with and without the addon.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, onTestFinished, test } from 'vitest';
import { closed, transfer } from '../../test/stream-transfer.js';
import { allocChunk, keptChunkBlocks, useChunkMemory } from './chunk-memory.js';
import { createPseudoTcpStream } from './stream.js';
import { udpTransport } from './transport.js';
import { udpBatchAddon } from './udp-batch.js';

const native = udpBatchAddon() !== undefined;
const BLOCK = 256 * 1024;

// A block comes back when V8 frees the chunk's Buffer: a full collection, then the finalizers
// (which Node may run on a later turn of the loop).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
async function collect(until: () => boolean = () => false): Promise<void> {
  for (let i = 0; i < 20 && !until(); i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

describe('allocChunk', () => {
  test('gives chunks of the asked size that never overlap while they live', async () => {
    const done = useChunkMemory();
    onTestFinished(done);
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
      await collect();
      const more = Array.from({ length: 20 }, () => allocChunk(256 * 1024).fill(0xee));
      expect(slice?.every((x) => x === 5)).toBe(true);
      expect(more.every((c) => c.length === 256 * 1024)).toBe(true);
    }
  });
});

describe('the pool keeps blocks only while a stream uses it', () => {
  // Only on the native path (defined there only: the JS run has no pool to test, and skips nothing).
  const nativeOnly = native ? test : ((() => undefined) as unknown as typeof test);
  nativeOnly('blocks are kept while used, all freed when the last user is done', async () => {
    await collect(); // the chunks of earlier tests come back (and are freed: no user)
    expect(keptChunkBlocks()).toBe(0);
    const first = useChunkMemory();
    const second = useChunkMemory();
    onTestFinished(() => {
      first();
      second();
    });
    let chunks: Buffer[] = Array.from({ length: 8 }, () => allocChunk(BLOCK).fill(1));
    chunks = [];
    await collect(() => keptChunkBlocks() >= 8);
    expect(keptChunkBlocks()).toBe(8);
    // Handed out again from the pool.
    chunks = Array.from({ length: 3 }, () => allocChunk(BLOCK));
    expect(keptChunkBlocks()).toBe(5);
    first();
    first(); // a second call changes nothing
    expect(keptChunkBlocks()).toBe(5); // one user is left
    second();
    expect(keptChunkBlocks()).toBe(0);
    // Chunks the reader still held come back after that: freed, not kept.
    chunks = [];
    await collect(() => keptChunkBlocks() > 0);
    expect(chunks.length).toBe(0);
    expect(keptChunkBlocks()).toBe(0);
  });

  test('after a transfer, once both streams are closed, the pool keeps nothing', async () => {
    await collect();
    const { sender, receiver } = await streamPair();
    const data = randomBytes(8 * 1024 * 1024);
    const chunks = await transfer(sender, receiver, data);
    const largest = Math.max(...chunks.map((c) => c.length));
    chunks.length = 0;
    // The reader's chunks (the large ones from the pool on the native path) came back while the
    // streams used it, and were kept.
    await collect(() => keptChunkBlocks() > 0);
    if (native && largest >= 64 * 1024) expect(keptChunkBlocks()).toBeGreaterThan(0);
    receiver.end();
    await Promise.all([closed(sender), closed(receiver)]);
    expect(keptChunkBlocks()).toBe(0);
    await collect();
    expect(keptChunkBlocks()).toBe(0);
  });

  test('a stream made with chunkPool: false never uses the pool', async () => {
    await collect();
    const { sender, receiver } = await streamPair({ chunkPool: false });
    const chunks = await transfer(sender, receiver, randomBytes(4 * 1024 * 1024));
    chunks.length = 0;
    await collect();
    expect(keptChunkBlocks()).toBe(0); // no user: nothing kept, whatever came back
    receiver.end();
    await closed(receiver);
  });
});

/** Two streams over UDP sockets on loopback. */
async function streamPair(options: { chunkPool?: boolean } = {}) {
  const sockets: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    sockets.push(s);
  }
  const [a, b] = sockets as [Socket, Socket];
  const to = (s: Socket) => ({ address: '127.0.0.1', port: s.address().port });
  return {
    sender: createPseudoTcpStream(udpTransport(a, to(b)), options),
    receiver: createPseudoTcpStream(udpTransport(b, to(a)), options),
  };
}
