// Interop with libnice's PseudoTcpSocket (the reference implementation) over UDP on loopback.

import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkPrerequisites, startUdpRelay, type UdpRelay } from '@p2pcat/natlab';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createPseudoTcpStream,
  enlargeSocketBuffers,
  type PseudoTcpError,
  type PseudoTcpStream,
  udpTransport,
} from '../src/index.js';
import { buildNicePeer, NicePeer } from './nice-peer.js';

const pre = checkPrerequisites({ pkgConfig: ['nice', 'glib-2.0'], commands: ['gcc', 'pkg-config'] });

const MB = 1024 * 1024;
const BIG = 50 * MB;
const peers: NicePeer[] = [];
const sockets: Socket[] = [];
const relays: UdpRelay[] = [];

async function boundSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  enlargeSocketBuffers(s, 8 * MB);
  sockets.push(s);
  return s;
}

function nice(options: ConstructorParameters<typeof NicePeer>[0]): NicePeer {
  const p = new NicePeer(options);
  peers.push(p);
  return p;
}

/** `total` pseudo-random bytes in 1 MiB chunks, hashing them on the way out. */
function source(total: number, hash: ReturnType<typeof createHash>): Readable {
  const block = randomBytes(MB);
  let sent = 0;
  return Readable.from(
    (function* () {
      while (sent < total) {
        const n = Math.min(MB, total - sent);
        // vary each chunk so that a misplaced chunk changes the hash
        const chunk = Buffer.from(block.subarray(0, n));
        chunk.writeUInt32BE(sent >>> 0, 0);
        hash.update(chunk);
        sent += n;
        yield chunk;
      }
    })(),
  );
}

/** Reads until `untilBytes` or the end; returns sha256 and count without destroying the stream. */
function sink(stream: PseudoTcpStream, untilBytes?: number): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve, reject) => {
    const done = () => resolve({ sha256: h.digest('hex'), bytes });
    stream.on('data', (c: Buffer) => {
      h.update(c);
      bytes += c.length;
      if (untilBytes !== undefined && bytes >= untilBytes) {
        stream.removeAllListeners('end');
        done();
      }
    });
    stream.on('end', done);
    stream.on('error', reject);
  });
}

const closed = (s: PseudoTcpStream) => new Promise<void>((r) => (s.closed ? r() : s.on('close', () => r())));

afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
  for (const p of peers.splice(0)) p.kill();
  for (const s of sockets.splice(0)) {
    try {
      s.close();
    } catch {}
  }
});

describe.skipIf(pre.skip)('interop with libnice PseudoTcpSocket over UDP on loopback', () => {
  beforeAll(() => {
    buildNicePeer();
  });

  for (const finAck of [true, false]) {
    const label = finAck ? 'FIN-ACK on' : 'FIN-ACK off';

    it(`ours -> libnice, 50 MB, ${label}`, async () => {
      const sock = await boundSocket();
      const peer = nice({
        mode: 'receive',
        finAck,
        remotePort: sock.address().port,
        expectBytes: finAck ? undefined : BIG,
      });
      const port = await peer.port;
      const stream = createPseudoTcpStream(udpTransport(sock, { address: '127.0.0.1', port }));
      stream.resume();
      const hash = createHash('sha256');
      await pipeline(source(BIG, hash), stream);
      const res = await peer.result;
      expect(res.bytes).toBe(BIG);
      expect(res.sha256).toBe(hash.digest('hex'));
      expect(await peer.exited).toBe(0);
      await closed(stream);
      await new Promise((r) => setTimeout(r, 20)); // TIME_WAIT lasts 1 ms
      expect(stream.state).toBe('closed');
      expect(stream.errored).toBeNull();
    }, 90_000);

    it(`libnice -> ours, 50 MB, ${label} on both sides (simultaneous open)`, async () => {
      const sock = await boundSocket();
      const peer = nice({
        mode: 'send',
        connect: true,
        finAck,
        remotePort: sock.address().port,
        bytes: BIG,
      });
      const port = await peer.port;
      // FIN-ACK off on both sides here: libnice with FIN-ACK off that meets the option in a
      // simultaneous open moves to FIN_WAIT_1 on close and never finishes (libnice to libnice
      // too). The one-sided mismatch is covered by "ours -> libnice, FIN-ACK off".
      const stream = createPseudoTcpStream(udpTransport(sock, { address: '127.0.0.1', port }), { finAck });
      const got = await sink(stream, finAck ? undefined : BIG);
      // Without FIN-ACK nothing marks the end on the wire: we know the length, close once it is all here.
      stream.end();
      const res = await peer.result;
      expect(got.bytes).toBe(BIG);
      expect(got.sha256).toBe(res.sha256);
      expect(await peer.exited).toBe(0);
      await closed(stream);
      expect(stream.errored).toBeNull();
    }, 90_000);
  }

  it('ours without the FIN-ACK option (libjingle style) -> libnice with it', async () => {
    const sock = await boundSocket();
    const peer = nice({
      mode: 'receive',
      finAck: true,
      remotePort: sock.address().port,
      expectBytes: 5 * MB,
    });
    const port = await peer.port;
    const stream = createPseudoTcpStream(udpTransport(sock, { address: '127.0.0.1', port }), {
      finAck: false,
    });
    stream.resume();
    const hash = createHash('sha256');
    await pipeline(source(5 * MB, hash), stream);
    expect((await peer.result).sha256).toBe(hash.digest('hex'));
    expect(await peer.exited).toBe(0);
  }, 60_000);

  it('our FIN while libnice is sending: what libnice queued still arrives, then both close', async () => {
    // libnice cannot send in CLOSE_WAIT (send() fails with EPIPE after the peer's FIN), so only
    // what its send buffer accepted before our FIN arrives; the close handshake must still finish.
    const sock = await boundSocket();
    const peer = nice({ mode: 'send', connect: true, remotePort: sock.address().port, bytes: 20 * MB });
    const port = await peer.port;
    const stream = createPseudoTcpStream(udpTransport(sock, { address: '127.0.0.1', port }));
    stream.once('data', () => stream.end());
    const got = await sink(stream);
    const res = await peer.result;
    expect(got.bytes).toBe(res.bytes);
    expect(got.sha256).toBe(res.sha256);
    await closed(stream);
    expect(stream.errored).toBeNull();
    expect(await peer.exited).toBe(0);
  }, 30_000);

  it('libnice force close (RST) mid-transfer is a stream error ECONNRESET', async () => {
    const sock = await boundSocket();
    // libnice receives and forcibly closes after 2 MB of 20 MB.
    const peer = nice({
      mode: 'receive',
      remotePort: sock.address().port,
      expectBytes: 2 * MB,
      close: 'force',
    });
    const port = await peer.port;
    const stream = createPseudoTcpStream(udpTransport(sock, { address: '127.0.0.1', port }));
    stream.resume();
    const err = await pipeline(source(20 * MB, createHash('sha256')), stream).then(
      () => undefined,
      (e: PseudoTcpError) => e,
    );
    expect(err?.code).toBe('reset');
    expect(await peer.exited).toBe(0);
  }, 30_000);

  it('libnice sender force close (RST) right after its data: ours accepts the RST (RFC 5961 exact match)', async () => {
    // libnice numbers its RST behind everything it queued (SND.UNA + buffered) and flushes the
    // buffer first: the RST must still pass our sequence check and end the stream with ECONNRESET.
    const sock = await boundSocket();
    const peer = nice({ mode: 'send', remotePort: sock.address().port, bytes: MB, close: 'force' });
    const port = await peer.port;
    const stream = createPseudoTcpStream(udpTransport(sock, { address: '127.0.0.1', port }));
    let bytes = 0;
    stream.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    const started = Date.now();
    const err = await new Promise<PseudoTcpError | undefined>((resolve) => {
      stream.on('error', (e) => resolve(e as PseudoTcpError));
      stream.on('close', () => resolve(undefined));
    });
    expect(err?.code).toBe('reset');
    expect(Date.now() - started).toBeLessThan(10_000); // the RST, not an idle timeout
    expect(bytes).toBeLessThanOrEqual(MB);
    expect(await peer.exited).toBe(0);
  }, 30_000);

  it('our destroy(error) mid-transfer resets libnice', async () => {
    const sock = await boundSocket();
    const peer = nice({ mode: 'send', connect: true, remotePort: sock.address().port, bytes: 200 * MB });
    const port = await peer.port;
    const stream = createPseudoTcpStream(udpTransport(sock, { address: '127.0.0.1', port }));
    let bytes = 0;
    await new Promise<void>((resolve) => {
      stream.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes >= 2 * MB) resolve();
      });
    });
    stream.on('error', () => {});
    stream.destroy(new Error('stop'));
    const line = await peer.waitFor('CLOSED ', 10_000);
    expect(line).toMatch(/error=104/); // ECONNRESET
  }, 30_000);

  for (const dir of ['ours -> libnice', 'libnice -> ours'] as const) {
    it(`${dir} through a lossy, reordering relay (2% loss, 5 ms, seeded)`, async () => {
      const sending = dir === 'ours -> libnice';
      // libnice's sender recovers slowly (1 s minimum RTO, one segment per timeout): keep it small.
      const bytes = sending ? 3 * MB : MB;
      // libnice is passive and learns its peer (the relay) from the first datagram.
      const peer = nice(sending ? { mode: 'receive' } : { mode: 'send', bytes });
      const port = await peer.port;
      const relay = await startUdpRelay({
        target: { address: '127.0.0.1', port },
        delayMs: 5,
        lossRate: 0.02,
        reorderRate: 0.01,
        seed: 8,
      });
      relays.push(relay);
      const sock = await boundSocket();
      const stream = createPseudoTcpStream(udpTransport(sock, { address: relay.address, port: relay.port }));
      if (sending) {
        stream.resume();
        const hash = createHash('sha256');
        await pipeline(source(bytes, hash), stream);
        const res = await peer.result;
        expect(res.sha256).toBe(hash.digest('hex'));
      } else {
        const got = await sink(stream);
        expect(got.sha256).toBe((await peer.result).sha256);
        expect(got.bytes).toBe(bytes);
      }
      expect(relay.stats.dropped).toBeGreaterThan(0);
      expect(await peer.exited).toBe(0);
    }, 60_000);
  }
});
