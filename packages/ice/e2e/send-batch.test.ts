// IceTransport.sendBatch: application data in batches on the pair in use, through the batchSend
// option where given (one system call for many datagrams) and node:dgram for the rest; what it
// returns tells the caller (pseudo-TCP) whether it may reuse the datagrams' memory.
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { type BatchSend, IceConnection, type IceTransport } from '../src/index.js';

async function connectedPair(
  address: string,
  options: { batchSend?: BatchSend } = {},
): Promise<{ alice: IceConnection; bob: IceConnection; ta: IceTransport; tb: IceTransport }> {
  const alice = new IceConnection({ host: { addresses: [address] }, ...options });
  const bob = new IceConnection({ host: { addresses: [address] } });
  const [da, db] = await Promise.all([alice.gather(), bob.gather()]);
  alice.setRemoteDescription(db);
  bob.setRemoteDescription(da);
  const [ta, tb] = await Promise.all([alice.connect(), bob.connect()]);
  return { alice, bob, ta, tb };
}

/** Datagrams 0x80, i, ... (not STUN: the first byte is above 3). */
function datagrams(n: number, size = 200): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new Uint8Array(size).fill(i & 0xff).fill(0x80, 0, 1));
}

/** A batch sender that says it sent everything (and sends nothing). */
const claimsAll: BatchSend = (_socket, _to, _list, count) => count;

function receive(t: IceTransport, n: number): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  return new Promise((resolve) => {
    const off = t.onMessage((d) => {
      got.push(Uint8Array.from(d));
      if (got.length === n) {
        off();
        resolve(got);
      }
    });
  });
}

describe('IceTransport.sendBatch', () => {
  it('without batchSend: every datagram arrives in order through node:dgram; the memory stays the caller’s to keep', async () => {
    const { alice, bob, ta, tb } = await connectedPair('127.0.0.1');
    try {
      const out = datagrams(40);
      const got = receive(tb, 40);
      expect(ta.sendBatch(out, 40)).toBe(false); // node:dgram may still hold them
      expect((await got).map((d) => d[1])).toEqual(out.map((d) => d[1]));
      expect(alice.agent.getActivePair()?.stats.packetsSent).toBeGreaterThanOrEqual(40);
    } finally {
      alice.close();
      bob.close();
    }
  });

  it('with batchSend: what it sends is not sent again, the rest goes through node:dgram, and true once nothing is queued', async () => {
    const calls: { destination: string; count: number }[] = [];
    let take = 0; // how many of each batch the fake batch sender "sends" (by node:dgram, synchronously copied)
    const batchSend: BatchSend = (socket, destination, list, count) => {
      calls.push({ destination: `${destination.address}:${destination.port}`, count });
      const n = Math.min(take, count);
      for (let i = 0; i < n; i++)
        socket.send(Buffer.from(list[i] as Uint8Array), destination.port, destination.address);
      return n;
    };
    const { alice, bob, ta, tb } = await connectedPair('::1', { batchSend });
    try {
      const pair = alice.agent.getActivePair();
      const before = pair?.stats.packetsSent ?? 0;
      // All taken: nothing waits in node:dgram, the caller may reuse its memory at once.
      take = 10;
      let got = receive(tb, 10);
      expect(ta.sendBatch(datagrams(10), 10)).toBe(true);
      expect((await got).map((d) => d[1])).toEqual([...Array(10).keys()]);
      expect(calls.at(-1)).toEqual({
        destination: `${pair?.remote.address.address}:${pair?.remote.address.port}`,
        count: 10,
      });
      // Half taken: the rest are queued in node:dgram, so false until their sends completed.
      take = 5;
      got = receive(tb, 10);
      expect(ta.sendBatch(datagrams(10), 10)).toBe(false);
      expect((await got).map((d) => d[1])).toEqual([...Array(10).keys()]);
      await new Promise((r) => setImmediate(r));
      take = 3;
      got = receive(tb, 3);
      expect(ta.sendBatch(datagrams(3), 3)).toBe(true);
      await got;
      expect((alice.agent.getActivePair()?.stats.packetsSent ?? 0) - before).toBe(23);
    } finally {
      alice.close();
      bob.close();
    }
  });

  it('a batch sender that throws loses its batch like a network would, once reported', async () => {
    const batchSend: BatchSend = () => {
      throw Object.assign(new Error('boom'), { code: 'EBOOM' });
    };
    const { alice, bob, ta, tb } = await connectedPair('127.0.0.1', { batchSend });
    const warnings: string[] = [];
    alice.on('warning', (e) => warnings.push(e.message));
    try {
      const got = receive(tb, 4);
      ta.sendBatch(datagrams(4), 4); // batchSend took none: all four go through node:dgram
      expect((await got).length).toBe(4);
      ta.sendBatch(datagrams(4), 4);
      expect(warnings.filter((w) => /boom/.test(w))).toHaveLength(1);
    } finally {
      alice.close();
      bob.close();
    }
  });

  it('after close, a batch is dropped and nothing is held', async () => {
    const { alice, bob, ta } = await connectedPair('127.0.0.1', { batchSend: () => 0 });
    alice.close();
    bob.close();
    expect(ta.sendBatch(datagrams(3), 3)).toBe(true);
  });

  it('through a base whose owner keeps the socket to itself, or after a single send(), it never vouches for the memory', async () => {
    // A shared base without `socket`: its owner's send() may queue the data (as a TURN client
    // waiting for a permission does), so sendBatch must answer false, and from then on.
    const socket = createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
    const handlers = new Set<
      (data: Uint8Array, from: { family: 'IPv4'; address: string; port: number }) => void
    >();
    socket.on('message', (m, rinfo) => {
      for (const h of handlers) h(m, { family: 'IPv4', address: rinfo.address, port: rinfo.port });
    });
    const alice = new IceConnection({ batchSend: claimsAll });
    alice.addSharedBase({
      address: { family: 'IPv4', address: '127.0.0.1', port: socket.address().port },
      send: (data, to) => socket.send(data, to.port, to.address),
      onDatagram: (h) => {
        handlers.add(h);
        return () => handlers.delete(h);
      },
    });
    alice.endOfLocalCandidates();
    const bob = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
    try {
      const db = await bob.gather();
      alice.setRemoteDescription(db);
      bob.setRemoteDescription(alice.localDescription());
      const [ta, tb] = await Promise.all([alice.connect(), bob.connect()]);
      const got = receive(tb, 5);
      expect(ta.sendBatch(datagrams(5), 5)).toBe(false);
      expect((await got).length).toBe(5);

      // A connection whose batches were all taken by batchSend, until the caller used send().
      const carol = await connectedPair('127.0.0.1', { batchSend: claimsAll });
      try {
        expect(carol.ta.sendBatch(datagrams(2), 2)).toBe(true);
        carol.ta.send(datagrams(1)[0] as Uint8Array);
        expect(carol.ta.sendBatch(datagrams(2), 2)).toBe(false);
      } finally {
        carol.alice.close();
        carol.bob.close();
      }
    } finally {
      alice.close();
      bob.close();
      socket.close();
    }
  });
});
