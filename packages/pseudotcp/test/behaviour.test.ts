import { describe, expect, it } from 'vitest';
import { encodeConnect } from '../src/core/connect-message.js';
import { PseudoTcp } from '../src/core/pseudotcp.js';
import { decodeSegment, FLAG_CTL, FLAG_FIN, FLAG_RST, type Segment } from '../src/core/segment.js';
import { Prng } from './prng.js';
import { drain, seg } from './raw.js';
import { SimNetwork } from './sim.js';

function wireLog(net: SimNetwork): Segment[][] {
  const log: Segment[][] = [[], []];
  net.filter = (from, d) => {
    log[from].push(decodeSegment(d));
    return true;
  };
  return log;
}

function open(net: SimNetwork, oneSided = false): void {
  net.peers[0].connect(net.now);
  if (!oneSided) net.peers[1].connect(net.now);
  expect(net.runUntil(() => net.peers.every((p) => p.state === 'established'), 10_000)).toBe(true);
}

describe('opening', () => {
  it('one-sided open: LISTEN -> SYN-RECEIVED -> ESTABLISHED, CONNECT each way', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 1, { delayMs: 10 });
    const log = wireLog(net);
    open(net, true);
    expect(log[0][0]?.flags).toBe(FLAG_CTL);
    expect(log[1][0]?.flags).toBe(FLAG_CTL);
    expect(log[1][0]?.ack).toBe(9); // the passive CONNECT acknowledges the active one (ours: 9 bytes)
    expect(net.events[0]).toEqual([{ type: 'opened' }]);
    expect(net.events[1]).toEqual([{ type: 'opened' }]);
  });

  it('simultaneous open', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 1, { delayMs: 10 });
    open(net);
    expect(net.now).toBeLessThan(25);
  });

  it("simultaneous open where one CONNECT was lost: resent on the peer's CONNECT, not after the 1 s RTO", () => {
    // Over ICE one side often connects before the other listens: its first CONNECT is lost.
    const a = new PseudoTcp();
    const b = new PseudoTcp();
    a.connect(0);
    expect(drain(a).map((x) => x.flags)).toEqual([FLAG_CTL]); // lost
    b.connect(50);
    const fromB = [];
    for (let d = b.pollTransmit(); d; d = b.pollTransmit()) fromB.push(d);
    for (const d of fromB) a.handleInput(d, 55);
    expect(a.state).toBe('established');
    const fromA = [];
    for (let d = a.pollTransmit(); d; d = a.pollTransmit()) fromA.push(d);
    expect(fromA.some((d) => decodeSegment(d).flags === FLAG_CTL)).toBe(true); // resent at once
    for (const d of fromA) b.handleInput(d, 60);
    expect(b.state).toBe('established');
  });

  it('connect retries every second and fails after 30 transmissions (~30 s)', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 1, { blackhole: true });
    const log = wireLog(net);
    net.peers[0].connect(0);
    net.runUntil(() => net.peers[0].state === 'closed', 120_000);
    const connects = log[0].filter((s) => s.flags === FLAG_CTL);
    expect(connects.length).toBe(30);
    expect(net.now).toBeGreaterThanOrEqual(29_000);
    expect(net.now).toBeLessThanOrEqual(31_000);
    const closed = net.events[0].at(-1);
    expect(closed?.type === 'closed' && closed.reason).toBe('connect-failed');
  });

  it('connect survives lost CONNECTs', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 1, { delayMs: 10 });
    let dropped = 0;
    net.filter = (_from, d) => !(decodeSegment(d).flags & FLAG_CTL && dropped++ < 3);
    open(net, true);
    expect(net.now).toBeGreaterThan(1000);
  });

  it('a peer without window scaling makes us fall back to an unscaled 60 KiB window', () => {
    const p = new PseudoTcp({ receiveBufferSize: 1 << 20 });
    // A CONNECT with only the FIN-ACK option: no window scale.
    p.handleInput(seg({ flags: FLAG_CTL, payload: Uint8Array.of(0, 254, 1, 0), window: 0xffff }), 0);
    const out = drain(p);
    const ctl = out.find((s) => s.flags & FLAG_CTL);
    expect(ctl?.ack).toBe(4);
    expect(ctl?.window).toBe(60 * 1024); // 61440 >> 0
    expect(p.state).toBe('syn-received');
    p.handleInput(seg({ seq: 4, ack: 7, window: 0xffff }), 10);
    expect(p.state).toBe('established');
    // Our sends are limited by the peer's unscaled 65535-byte window.
    p.send(new Uint8Array(200_000), 10);
    const data = drain(p);
    const bytes = data.reduce((n, s) => n + s.payload.length, 0);
    expect(bytes).toBeLessThanOrEqual(0xffff);
    expect(bytes).toBeGreaterThan(0);
  });

  it('a libjingle-style peer (no FIN-ACK option): no FIN on the wire, close when all is acknowledged', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp({ finAck: false })], 3, {
      delayMs: 10,
      loss: 0.02,
    });
    const log = wireLog(net);
    open(net);
    expect(net.peers[0].finAckNegotiated).toBe(false);
    const data = new Prng(5).bytes(500_000);
    let sent = 0;
    let got = 0;
    net.runUntil(
      () => got === data.length,
      60_000,
      () => {
        if (sent < data.length) sent += net.peers[0].send(data.subarray(sent), net.now);
        for (let c = net.peers[1].recv(); c !== undefined; c = net.peers[1].recv()) got += c.length;
      },
    );
    net.peers[0].close(net.now);
    net.peers[1].close(net.now);
    net.runUntil(() => net.peers.every((p) => p.state === 'closed'), 10_000);
    expect(net.peers.map((p) => p.state)).toEqual(['closed', 'closed']);
    expect(log.flat().some((s) => s.flags & (FLAG_FIN | FLAG_RST))).toBe(false);
    expect(net.events[0].at(-1)).toEqual({ type: 'closed', reason: 'normal' });
  });
});

describe('closing', () => {
  it('FIN-ACK close: FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT and CLOSE_WAIT -> LAST_ACK', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 1, { delayMs: 10 });
    const log = wireLog(net);
    open(net);
    const [a, b] = net.peers;
    a.send(Uint8Array.of(1, 2, 3), net.now);
    a.shutdown(net.now);
    expect(a.state).toBe('fin-wait-1');
    net.runUntil(() => b.eof || b.readableBytes === 3, 1000);
    net.runUntil(() => b.state === 'close-wait' && a.state === 'fin-wait-2', 1000);
    expect(b.recv()).toEqual(Uint8Array.of(1, 2, 3));
    expect(b.eof).toBe(true);
    // Half-close: B can still send to A.
    b.send(Uint8Array.of(9), net.now);
    net.runUntil(() => a.readableBytes === 1, 1000);
    expect(a.recv()).toEqual(Uint8Array.of(9));
    b.close(net.now);
    expect(b.state).toBe('last-ack');
    net.runUntil(() => a.state === 'closed' && b.state === 'closed', 1000);
    const fins = log.flat().filter((s) => s.flags & FLAG_FIN);
    expect(fins.length).toBe(2);
    expect(fins.every((s) => s.payload.length === 0)).toBe(true);
    expect(log.flat().some((s) => s.flags & FLAG_RST)).toBe(false);
    expect(net.events[0].at(-1)).toEqual({ type: 'closed', reason: 'normal' });
    expect(net.events[1].at(-1)).toEqual({ type: 'closed', reason: 'normal' });
  });

  it('simultaneous close goes through CLOSING', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 1, { delayMs: 10 });
    open(net);
    const [a, b] = net.peers;
    a.close(net.now);
    b.close(net.now);
    const seen = new Set<string>();
    net.runUntil(
      () => a.state === 'closed' && b.state === 'closed',
      1000,
      () => seen.add(a.state),
    );
    expect(seen.has('closing')).toBe(true);
    expect(net.events[0].at(-1)).toEqual({ type: 'closed', reason: 'normal' });
  });

  it('close with unread received data sends RST; the peer closes with reset', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 1, { delayMs: 10 });
    const log = wireLog(net);
    open(net);
    const [a, b] = net.peers;
    a.send(Uint8Array.of(1, 2, 3), net.now);
    net.runUntil(() => b.readableBytes === 3, 1000);
    b.close(net.now);
    expect(b.state).toBe('closed');
    net.runUntil(() => a.state === 'closed', 1000);
    expect(log[1].at(-1)?.flags).toBe(FLAG_RST);
    const ev = net.events[0].at(-1);
    expect(ev?.type === 'closed' && ev.reason).toBe('reset');
  });

  it('close(force) sends RST', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 1, { delayMs: 10 });
    open(net);
    net.peers[0].close(net.now, true);
    net.runUntil(() => net.peers[1].state === 'closed', 1000);
    const ev = net.events[1].at(-1);
    expect(ev?.type === 'closed' && ev.reason).toBe('reset');
  });

  it('a segment arriving in CLOSED is answered with RST', () => {
    const p = new PseudoTcp();
    p.connect(0);
    p.close(0, true);
    drain(p);
    p.handleInput(seg({ seq: 7, ack: 7, payload: Uint8Array.of(1) }), 1);
    const [rst] = drain(p);
    expect(rst?.flags).toBe(FLAG_RST);
    p.handleInput(seg({ flags: FLAG_RST }), 2);
    expect(drain(p)).toEqual([]); // never an RST to an RST
  });

  it('idle timeout closes a connection whose peer vanished; false keeps it open', () => {
    for (const idleTimeout of [5000, false] as const) {
      const net = new SimNetwork([new PseudoTcp({ idleTimeout }), new PseudoTcp({ idleTimeout })], 1, {
        delayMs: 10,
      });
      open(net);
      net.links[0].blackhole = true;
      net.links[1].blackhole = true;
      const t0 = net.now;
      net.runUntil(() => net.peers[0].state === 'closed', 60_000);
      if (idleTimeout === false) {
        expect(net.peers[0].state).toBe('established');
      } else {
        expect(net.now - t0).toBeGreaterThanOrEqual(4900);
        expect(net.now - t0).toBeLessThanOrEqual(5100);
        const ev = net.events[0].at(-1);
        expect(ev?.type === 'closed' && ev.reason).toBe('timeout');
      }
    }
  });

  it('keepalives keep an idle but live connection open', () => {
    const net = new SimNetwork(
      [new PseudoTcp({ idleTimeout: 3000 }), new PseudoTcp({ idleTimeout: 3000 })],
      1,
      {
        delayMs: 10,
      },
    );
    open(net);
    net.runUntil(() => false, 20_000);
    expect(net.peers.map((p) => p.state)).toEqual(['established', 'established']);
  });
});

describe('windows and acknowledgements', () => {
  it('zero window: the sender probes, and resumes when the reader drains', () => {
    const small = { receiveBufferSize: 32 * 1024 };
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp(small)], 1, { delayMs: 10 });
    const log = wireLog(net);
    open(net);
    const [a, b] = net.peers;
    const data = new Prng(7).bytes(200_000);
    let sent = a.send(data, net.now);
    net.runUntil(
      () => false,
      5000,
      () => {
        if (sent < data.length) sent += a.send(data.subarray(sent), net.now);
      },
    );
    expect(b.readableBytes).toBe(32 * 1024);
    let maxEnd = 0;
    const probes = log[0].filter((s) => {
      const isProbe = s.payload.length === 0 && s.flags === 0 && s.seq === maxEnd - 1;
      maxEnd = Math.max(maxEnd, s.seq + s.payload.length);
      return isProbe;
    });
    expect(probes.length).toBeGreaterThan(0);
    expect(log[1].at(-1)?.window).toBe(0);
    expect(a.state).toBe('established');
    const chunks: Uint8Array[] = [];
    net.runUntil(
      () => chunks.reduce((n, c) => n + c.length, 0) === data.length,
      60_000,
      () => {
        if (sent < data.length) sent += a.send(data.subarray(sent), net.now);
        for (let c = b.recv(); c !== undefined; c = b.recv()) chunks.push(c);
      },
    );
    expect(Buffer.concat(chunks).equals(Buffer.from(data))).toBe(true);
  });

  it('delayed ACK: second in-order segment at once, a single one after ackDelay, out-of-order at once', () => {
    const p = new PseudoTcp();
    p.handleInput(seg({ flags: FLAG_CTL, payload: encodeConnect(0, true) }), 0);
    drain(p);
    p.handleInput(seg({ seq: 7, ack: 7 }), 1); // establishes
    expect(p.state).toBe('established');
    drain(p);
    p.handleInput(seg({ seq: 7, ack: 7, payload: new Uint8Array(100), tsval: 11 }), 10);
    expect(drain(p)).toEqual([]);
    expect(p.pollTimeout()).toBe(110);
    p.handleInput(seg({ seq: 107, ack: 7, payload: new Uint8Array(100), tsval: 12 }), 20);
    const [ack2] = drain(p);
    expect(ack2?.ack).toBe(207);
    expect(ack2?.tsecr).toBe(12);
    p.handleInput(seg({ seq: 307, ack: 7, payload: new Uint8Array(100), tsval: 13 }), 30); // hole at 207
    const [dup] = drain(p);
    expect(dup?.ack).toBe(207);
    expect(dup?.tsecr).toBe(13); // echoes the segment that arrived
    p.handleInput(seg({ seq: 207, ack: 7, payload: new Uint8Array(100), tsval: 14 }), 40); // fills the hole
    expect(drain(p)[0]?.ack).toBe(407);
    p.handleInput(seg({ seq: 407, ack: 7, payload: new Uint8Array(50), tsval: 15 }), 50);
    expect(drain(p)).toEqual([]);
    p.handleTimeout(150);
    expect(drain(p)[0]?.ack).toBe(457);
    expect(p.recv()?.length).toBe(450);
  });

  it('a FIN is accepted only in order and acknowledged at once; a FIN with data is ignored', () => {
    const p = new PseudoTcp();
    p.handleInput(seg({ flags: FLAG_CTL, payload: encodeConnect(0, true) }), 0);
    p.handleInput(seg({ seq: 7, ack: 7 }), 1);
    drain(p);
    p.handleInput(seg({ seq: 7, ack: 7, flags: FLAG_FIN, payload: Uint8Array.of(1) }), 2);
    expect(p.state).toBe('established');
    p.handleInput(seg({ seq: 9, ack: 7, flags: FLAG_FIN }), 3); // out of order
    expect(p.state).toBe('established');
    expect(drain(p).at(-1)?.ack).toBe(7);
    p.handleInput(seg({ seq: 7, ack: 7, flags: FLAG_FIN }), 4);
    expect(p.state).toBe('close-wait');
    expect(drain(p)[0]?.ack).toBe(8);
    expect(p.eof).toBe(true);
  });

  it('send buffer: send() accepts up to sendBufferFree and writable fires when it drains', () => {
    const net = new SimNetwork([new PseudoTcp({ sendBufferSize: 100_000 }), new PseudoTcp()], 1, {
      delayMs: 10,
    });
    open(net);
    const [a, b] = net.peers;
    expect(a.sendBufferFree).toBe(100_000);
    expect(a.send(new Uint8Array(150_000), net.now)).toBe(100_000);
    expect(a.send(new Uint8Array(10), net.now)).toBe(0);
    net.runUntil(
      () => net.events[0].some((e) => e.type === 'writable'),
      5000,
      () => {
        while (b.recv() !== undefined) {}
      },
    );
    expect(a.sendBufferFree).toBeGreaterThan(0);
  });
});

describe('MTU', () => {
  it('MSS is MTU - 116 once established; packetTooBig steps down the libnice table', () => {
    const net = new SimNetwork([new PseudoTcp({ mtu: 1400 }), new PseudoTcp()], 1, { delayMs: 5 });
    const log = wireLog(net);
    open(net);
    const [a, b] = net.peers;
    a.send(new Uint8Array(5000), net.now);
    net.runUntil(() => b.readableBytes === 5000, 1000);
    expect(Math.max(...log[0].map((s) => s.payload.length))).toBe(1284);
    a.packetTooBig();
    expect(a.pathMtu).toBe(1006);
    a.send(new Uint8Array(5000), net.now);
    log[0].length = 0;
    net.runUntil(() => b.readableBytes === 10_000, 1000);
    expect(Math.max(...log[0].map((s) => s.payload.length))).toBe(1006 - 116);
  });
});

describe('FIN_WAIT_2 after close()', () => {
  it('gives up waiting for the peer FIN after 60 s (the peer is alive but never closes)', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 1, { delayMs: 10 });
    open(net);
    const [a, b] = net.peers;
    a.close(net.now);
    net.runUntil(() => a.state === 'fin-wait-2', 1000);
    const t0 = net.now;
    net.runUntil(() => a.state === 'closed', 120_000);
    expect(net.now - t0).toBeGreaterThanOrEqual(59_000);
    expect(net.now - t0).toBeLessThanOrEqual(61_000);
    expect(net.events[0].at(-1)).toEqual({ type: 'closed', reason: 'normal' });
    expect(b.state).toBe('close-wait');
  });
});

describe('graceful close without FIN-ACK', () => {
  it('sends the pending delayed ACK before reporting closed', () => {
    const p = new PseudoTcp({ finAck: false });
    p.handleInput(seg({ flags: FLAG_CTL, payload: Uint8Array.of(0, 3, 1, 0) }), 0);
    p.handleInput(seg({ seq: 4, ack: 6 }), 1); // our connect: 00 03 01 00 FD 00
    expect(p.state).toBe('established');
    drain(p);
    p.handleInput(seg({ seq: 4, ack: 6, payload: new Uint8Array(10), tsval: 5 }), 2); // delayed ACK pending
    expect(drain(p)).toEqual([]);
    expect(p.recv()?.length).toBe(10);
    p.shutdown(3);
    expect(p.state).toBe('closed');
    const out = drain(p);
    expect(out.length).toBe(1);
    expect(out[0]?.ack).toBe(14);
    expect(out[0]?.flags).toBe(0);
  });
});
