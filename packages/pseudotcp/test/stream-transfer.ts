// Test helpers for PseudoTcpStream pairs: one transfer checked byte for byte, and waiting for a
// stream's 'close'.
import { expect } from 'vitest';
import type { PseudoTcpStream } from '../src/node/stream.js';

/** Sends `data` from one stream to the other; resolves with the chunks read, checked whole. */
export async function transfer(
  sender: PseudoTcpStream,
  receiver: PseudoTcpStream,
  data: Buffer,
): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  receiver.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((r) => receiver.once('end', r));
  sender.resume();
  sender.end(data);
  await ended;
  expect(Buffer.concat(chunks).equals(data)).toBe(true);
  return chunks;
}

/** Resolves once the stream has emitted 'close' (at once if it already has). */
export function closed(stream: PseudoTcpStream): Promise<void> {
  return new Promise<void>((r) => (stream.closed ? r() : stream.once('close', r)));
}
