// nativeBatchSend: sendmmsg on a node:dgram socket someone else owns (an ICE connection's host
// socket). Run twice by the package's test script: with the addon, and with P2PCAT_NO_NATIVE=1,
// where there is no batch sender and the caller keeps using node:dgram.
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { nativeBatchSend } from './batch-send.js';

const addonFile = fileURLToPath(
  new URL(`../../dist/native/${process.platform}-${process.arch}/udp-batch.node`, import.meta.url),
);
const expectNative =
  process.env.P2PCAT_NO_NATIVE !== '1' && process.platform === 'linux' && existsSync(addonFile);

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function bound(type: 'udp4' | 'udp6', address: string): Promise<Socket> {
  const s = createSocket(type);
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, address, r));
  return s;
}

function collect(s: Socket, n: number): Promise<Buffer[]> {
  const got: Buffer[] = [];
  return new Promise((resolve) =>
    s.on('message', (m) => {
      got.push(m);
      if (got.length === n) resolve(got);
    }),
  );
}

// Only the tests of the path this run takes are defined (no skipped tests in either run).
if (!expectNative)
  describe('nativeBatchSend without the addon', () => {
    test('there is none: the caller sends through node:dgram', () => {
      expect(nativeBatchSend()).toBeUndefined();
    });
  });

const nativeTests = (): void => {
  for (const [type, address] of [
    ['udp4', '127.0.0.1'],
    ['udp6', '::1'],
  ] as const) {
    test(`${type}: sends a batch in order, the kernel's copy (the memory is free at once)`, async () => {
      const send = nativeBatchSend();
      expect(send).toBeDefined();
      const [a, b] = [await bound(type, address), await bound(type, address)];
      const to = { address, port: b.address().port };
      // Runs of equal sizes and odd ones between them, each datagram its own message.
      const sizes = [...Array(30).fill(1200), 77, ...Array(30).fill(900), 5, 1400];
      const memory = new Uint8Array(sizes.reduce((x, y) => x + y, 0));
      const datagrams: Uint8Array[] = [];
      let at = 0;
      for (const [i, size] of sizes.entries()) {
        datagrams.push(memory.subarray(at, at + size).fill(i));
        at += size;
      }
      const got = collect(b, sizes.length);
      expect(send?.(a, to, datagrams, datagrams.length)).toBe(datagrams.length);
      memory.fill(0xee); // reused by the caller at once: what was sent is unaffected
      const received = await got;
      expect(received.map((m) => m.length)).toEqual(sizes);
      expect(received.every((m, i) => m.every((x) => x === i))).toBe(true);
    });
  }

  test('a socket that is closed (no file descriptor) sends nothing: 0, the caller falls back', async () => {
    const send = nativeBatchSend();
    const a = await bound('udp4', '127.0.0.1');
    sockets.splice(sockets.indexOf(a), 1);
    a.close();
    expect(send?.(a, { address: '127.0.0.1', port: 9 }, [new Uint8Array(10)], 1)).toBe(0);
  });

  test('a destination that is not an IP literal is left to the caller (0)', async () => {
    const send = nativeBatchSend();
    const a = await bound('udp4', '127.0.0.1');
    expect(send?.(a, { address: 'localhost', port: 9 }, [new Uint8Array(10)], 1)).toBe(0);
  });
};
if (expectNative) describe('nativeBatchSend', nativeTests);
