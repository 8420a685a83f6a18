// The stream's use of DatagramTransport.sendBatch: every datagram goes out once and in order, the
// memory is reused only when the transport says it copied, and the batch array keeps no datagram
// once handed over (a kept one would hold its whole slab alive into the old generation).
import { describe, expect, it } from 'vitest';
import { createPseudoTcpStream } from './stream.js';
import type { DatagramTransport } from './transport.js';

/** Two streams joined in memory by transports that send in batches; `copies` says what sendBatch returns. */
function linkedPair(copies: boolean) {
  const listeners: [((d: Uint8Array) => void)[], ((d: Uint8Array) => void)[]] = [[], []];
  const arrays: (readonly Uint8Array[])[] = [];
  const transport = (side: 0 | 1): DatagramTransport => ({
    send: (d) => {
      const copy = Uint8Array.from(d);
      queueMicrotask(() => {
        for (const l of listeners[1 - side] as ((d: Uint8Array) => void)[]) l(copy);
      });
    },
    sendBatch: (datagrams, count) => {
      arrays.push(datagrams);
      // A copying transport takes the bytes now; a queueing one reads them later.
      const taken = datagrams.slice(0, count).map((d) => (copies ? Uint8Array.from(d) : d));
      setImmediate(() => {
        for (const d of taken) for (const l of listeners[1 - side] as ((d: Uint8Array) => void)[]) l(d);
      });
      return copies;
    },
    onMessage: (l) => {
      listeners[side].push(l);
      return () => listeners[side].splice(listeners[side].indexOf(l), 1);
    },
  });
  const a = createPseudoTcpStream(transport(0));
  const b = createPseudoTcpStream(transport(1));
  return { a, b, arrays };
}

async function transfer(copies: boolean): Promise<void> {
  const { a, b, arrays } = linkedPair(copies);
  const data = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 0xff;
  const chunks: Buffer[] = [];
  b.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((r) => b.on('end', () => r()));
  a.end(data);
  await ended;
  expect(Buffer.concat(chunks).equals(data)).toBe(true);
  expect(arrays.length).toBeGreaterThan(0);
  // The stream's batch array (always the same one) holds no datagram between flushes.
  for (const arr of new Set(arrays)) expect(arr.every((d) => d.length === 0)).toBe(true);
  a.destroy();
  b.destroy();
}

describe('PseudoTcpStream over a batching transport', () => {
  it('a copying transport (sendBatch true): the data arrives whole, the batch array is emptied', async () => {
    await transfer(true);
  });

  it('a queueing transport (sendBatch false): what waits to be read is never overwritten', async () => {
    await transfer(false);
  });
});
