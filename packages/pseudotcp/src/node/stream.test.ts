import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createPseudoTcpStream, PseudoTcpError, type PseudoTcpStream } from './stream.js';
import { type DatagramTransport, udpTransport } from './transport.js';

async function boundSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

async function udpPair(): Promise<[DatagramTransport, DatagramTransport]> {
  const a = await boundSocket();
  const b = await boundSocket();
  return [
    udpTransport(a, { address: '127.0.0.1', port: b.address().port }),
    udpTransport(b, { address: '127.0.0.1', port: a.address().port }),
  ];
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'pseudotcp-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Reads to the end without destroying the stream (a for-await loop would destroy it at the end). */
function collect(stream: PseudoTcpStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

describe('PseudoTcpStream over UDP on loopback', () => {
  it('pipes a file to a file (pipeline both ends, sha256 equal)', async () => {
    const src = join(dir, 'a.bin');
    const dst = join(dir, 'b.bin');
    const data = randomBytes(8 * 1024 * 1024 + 12345);
    writeFileSync(src, data);
    const [ta, tb] = await udpPair();
    const a = createPseudoTcpStream(ta);
    const b = createPseudoTcpStream(tb);
    let connected = false;
    a.on('connect', () => {
      connected = true;
    });
    await Promise.all([pipeline(createReadStream(src), a), pipeline(b, createWriteStream(dst))]);
    expect(connected).toBe(true);
    expect(sha256(readFileSync(dst))).toBe(sha256(data));
    a.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(a.state).toBe('closed');
  }, 60_000);

  it('carries both directions at once and half-closes each side', async () => {
    const [ta, tb] = await udpPair();
    const a = createPseudoTcpStream(ta, { allowHalfOpen: true });
    const b = createPseudoTcpStream(tb, { allowHalfOpen: true });
    const x = randomBytes(1_000_000);
    const y = randomBytes(700_000);
    const closed = Promise.all([
      new Promise<void>((r) => a.on('close', r)),
      new Promise<void>((r) => b.on('close', r)),
    ]);
    const gotB = collect(b);
    const gotA = collect(a);
    a.end(x);
    // b keeps writing after a's FIN arrived: half-close leaves the other direction open.
    const bFinished = new Promise<void>((r) => b.on('finish', r));
    await gotB.then((got) => expect(sha256(got)).toBe(sha256(x)));
    b.end(y);
    await bFinished;
    expect(sha256(await gotA)).toBe(sha256(y));
    await closed;
    await new Promise((r) => setTimeout(r, 50)); // TIME_WAIT lasts 1 ms
    expect([a.state, b.state]).toEqual(['closed', 'closed']);
  });

  it('applies backpressure: a reader that does not read stalls the writer, then catches up', async () => {
    const [ta, tb] = await udpPair();
    const opts = { sendBufferSize: 256 * 1024, receiveBufferSize: 256 * 1024 };
    const a = createPseudoTcpStream(ta, opts);
    const b = createPseudoTcpStream(tb, opts);
    b.pause();
    const data = randomBytes(4 * 1024 * 1024);
    const chunk = 64 * 1024;
    let sawFalse = false;
    for (let offset = 0; offset < data.length; offset += chunk) {
      if (!a.write(data.subarray(offset, offset + chunk))) sawFalse = true;
    }
    a.end();
    await new Promise((r) => setTimeout(r, 300));
    // The reader's buffers are full: the rest waits in the writer's stream buffer.
    expect(sawFalse).toBe(true);
    expect(a.writableLength).toBeGreaterThan(data.length / 2);
    expect(b.readableLength).toBeLessThanOrEqual(b.readableHighWaterMark + 64 * 1024);
    const got = collect(b);
    b.resume();
    expect(sha256(await got)).toBe(sha256(data));
  });

  it('reports the peer reset as a stream error', async () => {
    const [ta, tb] = await udpPair();
    const a = createPseudoTcpStream(ta);
    const b = createPseudoTcpStream(tb);
    await new Promise<void>((r) => b.on('connect', r));
    const err = new Promise<Error>((r) => b.on('error', r));
    a.destroy(new Error('abort'));
    a.on('error', () => {});
    const e = await err;
    expect(e).toBeInstanceOf(PseudoTcpError);
    expect((e as PseudoTcpError).code).toBe('reset');
  });

  it('recovers from loss and reordering with real timers (in-memory lossy transport, seeded)', async () => {
    // xorshift32: deterministic drops and delays
    let seed = 0x2545f491;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const listeners: [((d: Uint8Array) => void) | undefined, ((d: Uint8Array) => void) | undefined] = [
      undefined,
      undefined,
    ];
    const end = (me: 0 | 1): DatagramTransport => ({
      send(data) {
        if (rand() < 0.05) return; // 5% loss
        const copy = data.slice();
        setTimeout(() => listeners[me === 0 ? 1 : 0]?.(copy), 2 + Math.floor(rand() * 8)); // 2-10 ms, reorders
      },
      onMessage(listener) {
        listeners[me] = listener;
        return () => {
          listeners[me] = undefined;
        };
      },
    });
    const a = createPseudoTcpStream(end(0));
    const b = createPseudoTcpStream(end(1));
    const data = randomBytes(2 * 1024 * 1024);
    const got = collect(b);
    a.end(data);
    expect(sha256(await got)).toBe(sha256(data));
    expect(a.stats().retransmits).toBeGreaterThan(0);
  }, 60_000);
});
