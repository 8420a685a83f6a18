// Blind (off-path) attacks: the attacker knows the conversation id but not the sequence numbers.
// RFC 5961 §3 (RST), §5 (ACK), §7 (challenge ACK throttle); RFC 9293 §3.10.7.4 (acceptability).
import { describe, expect, it } from 'vitest';
import { encodeConnect } from '../src/core/connect-message.js';
import { PseudoTcp, type PseudoTcpInternalOptions } from '../src/core/pseudotcp.js';
import { FLAG_CTL, FLAG_FIN, FLAG_RST } from '../src/core/segment.js';
import { Prng } from './prng.js';
import { drain, seg } from './raw.js';
import { SimNetwork, sha256, transfer } from './sim.js';

const MB = 1_000_000;
const data = new Prng(7).bytes(2 * MB);
const SPACE = 2 ** 32;

/** An endpoint established with a hand-played peer: RCV.NXT = SND.NXT = 7, window 8 MiB. */
function established(): PseudoTcp {
  // libnice's 7-byte connect message on both sides (no echo-range option).
  const options: PseudoTcpInternalOptions = { idleTimeout: false, echoRanges: false };
  const p = new PseudoTcp(options);
  p.handleInput(seg({ flags: FLAG_CTL, payload: encodeConnect(0, true) }), 0);
  p.handleInput(seg({ seq: 7, ack: 7 }), 1);
  expect(p.state).toBe('established');
  drain(p);
  return p;
}

function closedReason(p: PseudoTcp): string | undefined {
  for (let e = p.pollEvent(); e !== undefined; e = p.pollEvent()) if (e.type === 'closed') return e.reason;
  return undefined;
}

describe('RST acceptance (RFC 5961 §3.2)', () => {
  it('an RST exactly at RCV.NXT resets', () => {
    const p = established();
    p.handleInput(seg({ seq: 7, ack: 12345, flags: FLAG_RST }), 2);
    expect(p.state).toBe('closed');
    expect(closedReason(p)).toBe('reset');
  });

  it('an in-window but inexact RST gets a challenge ACK and no reset', () => {
    const p = established();
    p.handleInput(seg({ seq: 7 + 1000, ack: 999, flags: FLAG_RST }), 2);
    expect(p.state).toBe('established');
    const out = drain(p);
    expect(out).toHaveLength(1);
    expect(out[0]?.flags).toBe(0);
    expect(out[0]?.seq).toBe(7); // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    expect(out[0]?.ack).toBe(7);
    expect(p.stats().segmentsRejected).toBe(1);
  });

  it('an RST outside the window is dropped silently', () => {
    const p = established();
    for (const s of [6, 0, 7 + 9 * MB, (7 + SPACE / 2) >>> 0, 0xffffffff]) {
      p.handleInput(seg({ seq: s, ack: 999, flags: FLAG_RST }), 2);
    }
    expect(p.state).toBe('established');
    expect(drain(p)).toEqual([]);
  });

  it('challenge ACKs are throttled to 10 per 5 s (RFC 5961 §7)', () => {
    const p = established();
    for (let i = 0; i < 50; i++) p.handleInput(seg({ seq: 100 + i, ack: 999, flags: FLAG_RST }), 10 + i);
    expect(drain(p)).toHaveLength(10);
    p.handleInput(seg({ seq: 100, ack: 999, flags: FLAG_RST }), 5100);
    expect(drain(p)).toHaveLength(1);
    expect(p.state).toBe('established');
  });

  it("libnice's RST numbering is accepted: at the FIN it sent, and past data held out of order", () => {
    // libnice queues the RST behind its send buffer: a FIN not yet acknowledged shares its number.
    const a = established();
    a.handleInput(seg({ seq: 7, ack: 7, flags: FLAG_FIN }), 2);
    expect(a.state).toBe('close-wait');
    a.handleInput(seg({ seq: 7, ack: 7, flags: FLAG_RST }), 3);
    expect(closedReason(a)).toBe('reset');
    // A segment in the middle of the tail it flushed before the RST was lost.
    const b = established();
    b.handleInput(seg({ seq: 7 + 1000, ack: 7, payload: new Uint8Array(500) }), 2);
    b.handleInput(seg({ seq: 7 + 1200, ack: 7, flags: FLAG_RST }), 3); // inexact
    expect(b.state).toBe('established');
    b.handleInput(seg({ seq: 7 + 1500, ack: 7, flags: FLAG_RST }), 4);
    expect(closedReason(b)).toBe('reset');
  });

  it('an in-window RST is not accepted for a predictable ACK field (a pure receiver has SND.NXT = 7)', () => {
    const p = established();
    p.handleInput(seg({ seq: 7 + 3000, ack: 7, flags: FLAG_RST }), 2);
    expect(p.state).toBe('established');
  });

  it('an RST answering a segment takes its sequence number from that ACK (passes a challenge)', () => {
    const p = established();
    p.close(2, true);
    drain(p);
    p.handleInput(seg({ seq: 7, ack: 4242 }), 3); // the peer's challenge ACK
    const [rst] = drain(p);
    expect(rst?.flags).toBe(FLAG_RST);
    expect(rst?.seq).toBe(4242);
  });
});

describe('out-of-window segments are harmless (RFC 9293 §3.10.7.4, RFC 5961 §5)', () => {
  it('spoofed data, FIN and zero-window ACKs out of window change nothing', () => {
    const p = established();
    const far = (7 + SPACE / 2) >>> 0;
    p.handleInput(seg({ seq: far, ack: 7, payload: Uint8Array.of(1, 2, 3) }), 2);
    p.handleInput(seg({ seq: far, ack: 7, flags: FLAG_FIN }), 3);
    // In-window sequence number but an ACK for data never sent: discarded whole (RFC 5961 §5.2).
    p.handleInput(seg({ seq: 7, ack: 7 + 100_000, payload: Uint8Array.of(9) }), 4);
    p.handleInput(seg({ seq: 7, ack: far, flags: FLAG_FIN }), 5);
    expect(p.state).toBe('established');
    expect(p.readableBytes).toBe(0);
    expect(p.stats().segmentsRejected).toBe(4);
    // The genuine peer is unaffected.
    p.handleInput(seg({ seq: 7, ack: 7, payload: Uint8Array.of(5, 6) }), 6);
    expect(p.recv()).toEqual(Uint8Array.of(5, 6));
  });

  it('a zero-window ACK out of window does not stall the sender', () => {
    const p = established();
    p.handleInput(seg({ seq: (7 + SPACE / 2) >>> 0, ack: 7, window: 0 }), 2);
    expect(p.send(new Uint8Array(1000), 3)).toBe(1000);
    expect(drain(p).some((s) => s.payload.length === 1000)).toBe(true);
  });

  it('out-of-window segments do not keep a dead connection alive', () => {
    const p = new PseudoTcp({ idleTimeout: 3000 });
    p.handleInput(seg({ flags: FLAG_CTL, payload: encodeConnect(0, true) }), 0);
    p.handleInput(seg({ seq: 7, ack: 7 }), 1);
    for (let t = 500; t < 4000; t += 500) {
      p.handleInput(seg({ seq: 0x80000000, ack: 7 }), t);
      const due = p.pollTimeout();
      if (due !== undefined && due <= t) p.handleTimeout(t);
    }
    expect(p.state).toBe('closed');
    expect(closedReason(p)).toBe('timeout');
  });
});

describe('a transfer under a blind attack (simulated network)', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: random RST/FIN/data/ACK segments at both ends; the stream completes intact`, () => {
      const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], seed, {
        delayMs: 20,
        loss: 0.01,
        rate: 5000,
      });
      const attacker = new Prng(seed * 1000 + 1);
      const rand32 = () => Math.floor(attacker.next() * SPACE) >>> 0;
      let injected = 0;
      net.filter = (from) => {
        // One spoofed segment per 4 genuine ones, to each end alternately.
        if (net.sent[from] % 4 === 0) {
          const kinds = [FLAG_RST, FLAG_FIN, 0, 0] as const;
          const flags = kinds[Math.floor(attacker.next() * kinds.length)] as number;
          const payload = flags === 0 && attacker.next() < 0.5 ? attacker.bytes(100) : new Uint8Array(0);
          const forged = seg({ seq: rand32(), ack: rand32(), flags, window: 0, payload });
          net.peers[injected % 2].handleInput(forged, net.now);
          injected++;
        }
        return true;
      };
      const r = transfer(net, data, { limitMs: 120_000 });
      expect(r.ok).toBe(true);
      expect(r.receivedHash).toBe(sha256(data));
      expect(net.peers.map((p) => p.state)).toEqual(['established', 'established']);
      expect(injected).toBeGreaterThan(500);
      const rejected = net.peers[0].stats().segmentsRejected + net.peers[1].stats().segmentsRejected;
      expect(rejected).toBeGreaterThan(injected * 0.9);
    });
  }

  it('the genuine close still works after the attack (FIN both ways)', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 9, { delayMs: 10 });
    const attacker = new Prng(99);
    net.filter = (from) => {
      if (net.sent[from] % 3 === 0) {
        const forged = seg({ seq: Math.floor(attacker.next() * SPACE), ack: 7, flags: FLAG_RST });
        net.peers[from === 0 ? 1 : 0].handleInput(forged, net.now);
      }
      return true;
    };
    const r = transfer(net, data.subarray(0, 200_000), { closeAtEnd: true, limitMs: 60_000 });
    expect(r.ok).toBe(true);
    for (const ev of net.events) expect(ev.at(-1)).toEqual({ type: 'closed', reason: 'normal' });
  });

  it('a genuine RST between two of ours still resets', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 3, { delayMs: 10 });
    net.peers[0].connect(0);
    net.peers[1].connect(0);
    net.runUntil(() => net.peers.every((p) => p.state === 'established'), 5000);
    net.peers[0].send(new Uint8Array(50_000), net.now);
    net.runUntil(() => net.peers[1].readableBytes > 10_000, 5000);
    net.peers[1].send(new Uint8Array(30_000), net.now);
    net.peers[0].close(net.now, true);
    expect(net.runUntil(() => net.peers[1].state === 'closed', 5000)).toBe(true);
    expect(net.events[1].at(-1)).toMatchObject({ type: 'closed', reason: 'reset' });
  });
});
