// udpTransport's two I/O paths: the native addon (sendmmsg/recvmmsg) and node:dgram alone. The
// package's test script runs this file twice: as is, and with P2PCAT_NO_NATIVE=1 (the fallback).
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { closed, transfer } from '../../test/stream-transfer.js';
import { createPseudoTcpStream } from './stream.js';
import { udpTransport } from './transport.js';

const addonFile = fileURLToPath(
  new URL(`../../dist/native/${process.platform}-${process.arch}/udp-batch.node`, import.meta.url),
);
const noNative = process.env.P2PCAT_NO_NATIVE === '1';
const expectNative = !noNative && process.platform === 'linux' && existsSync(addonFile);

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) {
    try {
      s.close();
    } catch {
      // closed by its transport
    }
  }
});

async function bound(type: 'udp4' | 'udp6' = 'udp4', address?: string): Promise<Socket> {
  const s = createSocket(type);
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, address, r));
  return s;
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('the I/O path', () => {
  test(`udpTransport is ${expectNative ? 'native' : 'node:dgram only'} here (P2PCAT_NO_NATIVE=${process.env.P2PCAT_NO_NATIVE ?? ''})`, async () => {
    const a = await bound();
    const t = udpTransport(a, { address: '127.0.0.1', port: 9 }, { closeSocket: false });
    expect(t.native).toBe(expectNative);
    expect(udpTransport(a, { address: '127.0.0.1', port: 9 }, { native: false }).native).toBe(false);
    // A name is not resolved by the addon: node:dgram keeps it.
    expect(udpTransport(a, { address: 'localhost', port: 9 }).native).toBe(false);
  });

  test.runIf(process.env.CI === 'true' && process.platform === 'linux')(
    'CI on Linux builds the addon (the build found a C compiler and the Node-API headers)',
    () => {
      expect(existsSync(addonFile)).toBe(true);
    },
  );
});

// Both paths: on the native one the run arrives as one GRO message and is cut apart; on node:dgram
// it arrives datagram by datagram. Either way each side sees the same datagrams.
describe('a batch of datagrams from another address (one GRO message on the native path)', () => {
  test('a run from another address is cut apart into its datagrams, and node:dgram reads again once the stream is gone', async () => {
    const a = await bound();
    const b = await bound();
    const stranger = await bound();
    const tb = udpTransport(b, { address: '127.0.0.1', port: a.address().port }, { closeSocket: false });
    const ours: number[] = [];
    const detach = tb.onMessage((d) => ours.push(d.length));
    const others: string[] = [];
    b.on('message', (m, rinfo) => {
      if (rinfo.port === stranger.address().port) others.push(`${m[0]}:${m.length}`);
    });
    // The stranger sends one segmented run (GSO), which reaches b's socket as one GRO message.
    const ts = udpTransport(
      stranger,
      { address: '127.0.0.1', port: b.address().port },
      { closeSocket: false },
    );
    const run = Array.from({ length: 10 }, (_, i) => new Uint8Array(i === 9 ? 500 : 1308).fill(i));
    ts.sendBatch?.(run, run.length);
    const ta = udpTransport(a, { address: '127.0.0.1', port: b.address().port }, { closeSocket: false });
    ta.sendBatch?.(run, run.length);
    await until(() => others.length === 10 && ours.length === 10);
    expect(others).toEqual(run.map((d, i) => `${i}:${d.length}`));
    expect(ours).toEqual(run.map((d) => d.length));
    // The stream detaches: the socket is node:dgram's again, one datagram per 'message'.
    detach();
    const after: number[] = [];
    b.on('message', (m) => after.push(m.length));
    a.send(new Uint8Array(77), b.address().port, '127.0.0.1');
    a.send(new Uint8Array(78), b.address().port, '127.0.0.1');
    await until(() => after.length === 2);
    expect(after).toEqual([77, 78]);
  });
});

describe.each([
  ['native', true],
  ['node:dgram', false],
] as const)('udpTransport over %s', (_name, native) => {
  test('sendBatch delivers a batch of mixed sizes larger than one system call, in order', async () => {
    const a = await bound();
    const b = await bound();
    const ta = udpTransport(a, { address: '127.0.0.1', port: b.address().port }, { native });
    const tb = udpTransport(b, { address: '127.0.0.1', port: a.address().port }, { native });
    const got: number[] = [];
    tb.onMessage((d) => got.push(d[0] ?? -1, d.length));
    // Runs of equal sizes (sent as one segmented message each where the kernel allows), a shorter
    // datagram ending a run, then sizes that change every time.
    const size = (i: number) => (i < 100 ? (i === 70 ? 300 : 1424) : 1 + (i % 7));
    const batch = Array.from({ length: 150 }, (_, i) => new Uint8Array(size(i)).fill(i));
    // sendmmsg copies the datagrams into the kernel before it returns; node:dgram reads them later.
    expect(ta.sendBatch?.(batch, 150)).toBe(native && expectNative);
    await until(() => got.length === 300);
    expect(got).toEqual(batch.flatMap((d, i) => [i, d.length]));
    ta.close?.();
    tb.close?.();
  });

  test('datagrams from another address go to the socket, not to the stream', async () => {
    const a = await bound();
    const b = await bound();
    const stranger = await bound();
    const tb = udpTransport(b, { address: '127.0.0.1', port: a.address().port }, { native });
    const ours: string[] = [];
    const others: string[] = [];
    tb.onMessage((d) => ours.push(Buffer.from(d).toString()));
    b.on('message', (m, rinfo) => {
      if (rinfo.port === stranger.address().port) others.push(m.toString());
    });
    // Interleaved, many at once: the native drain reads them in one go after the first.
    for (let i = 0; i < 100; i++) {
      a.send(`a${i}`, b.address().port, '127.0.0.1');
      stranger.send(`s${i}`, b.address().port, '127.0.0.1');
    }
    await until(() => ours.length === 100 && others.length === 100);
    expect(ours).toEqual(Array.from({ length: 100 }, (_, i) => `a${i}`));
    expect(others).toEqual(Array.from({ length: 100 }, (_, i) => `s${i}`));
    tb.close?.();
  });

  test('a burst of datagrams queued while the loop was busy all arrive, each intact', async () => {
    const a = await bound();
    const b = await bound();
    const tb = udpTransport(b, { address: '127.0.0.1', port: a.address().port }, { native });
    const sizes: number[] = [];
    tb.onMessage((d) => sizes.push(d.length));
    const ta = udpTransport(a, { address: '127.0.0.1', port: b.address().port }, { native });
    // A 60,000-byte datagram too: the receive slots hold the largest UDP payload.
    const burst = Array.from({ length: 300 }, (_, i) => new Uint8Array(i === 7 ? 60_000 : 1400));
    ta.sendBatch?.(burst, burst.length);
    const t = Date.now();
    while (Date.now() - t < 50) {
      // busy: the datagrams wait in the socket's queue
    }
    await until(() => sizes.length === 300);
    expect(sizes).toEqual(burst.map((d) => d.length));
  });

  test('IPv6 loopback: a run of equal-sized datagrams (one GSO message, read with GRO) arrives intact', async () => {
    const a = await bound('udp6', '::1');
    const b = await bound('udp6', '::1');
    const ta = udpTransport(a, { address: '::1', port: b.address().port }, { native });
    const tb = udpTransport(b, { address: '::1', port: a.address().port }, { native });
    expect(tb.native).toBe(native && expectNative);
    const got: string[] = [];
    tb.onMessage((d) => got.push(`${d[0]}:${d.length}`));
    const run = Array.from({ length: 40 }, (_, i) => new Uint8Array(i === 39 ? 700 : 1300).fill(i));
    ta.sendBatch?.(run, run.length);
    await until(() => got.length === run.length);
    expect(got).toEqual(run.map((d, i) => `${i}:${d.length}`));
    ta.close?.();
    tb.close?.();
  });

  test('a dual-stack udp6 socket and an IPv4 peer (IPv4-mapped address)', async () => {
    const six = await bound('udp6', '::');
    const four = await bound('udp4', '127.0.0.1');
    const t6 = udpTransport(six, { address: '::ffff:127.0.0.1', port: four.address().port }, { native });
    expect(t6.native).toBe(native && expectNative);
    const t4 = udpTransport(four, { address: '127.0.0.1', port: six.address().port }, { native });
    const got: string[] = [];
    t4.onMessage((d) => got.push(`4:${Buffer.from(d).toString()}`));
    t6.onMessage((d) => got.push(`6:${Buffer.from(d).toString()}`));
    t6.sendBatch?.([Buffer.from('x'), Buffer.from('y')], 2);
    await until(() => got.length === 2);
    t4.sendBatch?.([Buffer.from('z')], 1);
    await until(() => got.length === 3);
    expect(got).toEqual(['4:x', '4:y', '6:z']);
  });

  test('a pseudo-TCP transfer of 8 MiB, against a peer on the other path', async () => {
    const a = await bound();
    const b = await bound();
    const sender = createPseudoTcpStream(
      udpTransport(a, { address: '127.0.0.1', port: b.address().port }, { native }),
    );
    // The receiver takes the other path: both are the same on the wire.
    const receiver = createPseudoTcpStream(
      udpTransport(b, { address: '127.0.0.1', port: a.address().port }, { native: !native }),
    );
    await transfer(sender, receiver, randomBytes(8 * 1024 * 1024));
    receiver.end();
    await Promise.all([closed(sender), closed(receiver)]);
  });
});
