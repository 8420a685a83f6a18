import { describe, expect, it } from 'vitest';
import { PseudoTcp } from '../src/core/pseudotcp.js';
import { RttEstimator } from '../src/core/rtt-estimator.js';
import { drain } from './raw.js';
import { SimNetwork } from './sim.js';

describe('RFC 6298 retransmission timer', () => {
  it('first sample: SRTT = R, RTTVAR = R/2; then alpha 1/8, beta 1/4; floor and backoff', () => {
    const e = new RttEstimator(200, 60_000, 1000);
    expect(e.rto).toBe(1000);
    e.sample(100);
    expect(e.srtt).toBe(100);
    expect(e.rttvar).toBe(50);
    expect(e.rto).toBe(300);
    e.sample(200);
    expect(e.rttvar).toBeCloseTo(0.75 * 50 + 0.25 * 100);
    expect(e.srtt).toBeCloseTo(0.875 * 100 + 0.125 * 200);
    for (let i = 0; i < 50; i++) e.sample(10);
    expect(e.rto).toBe(200); // the configured minimum
    e.backOff();
    expect(e.rto).toBe(400);
    for (let i = 0; i < 20; i++) e.backOff();
    expect(e.rto).toBe(60_000);
  });
});

describe('pacing', () => {
  it('a paced sender asks for a timeout at the next send time instead of bursting', () => {
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 1, { delayMs: 20, rate: 1000 }); // 1 MB/s
    const [a, b] = net.peers;
    a.connect(0);
    b.connect(0);
    net.runUntil(() => a.state === 'established' && b.state === 'established', 1000);
    // Run a while so that the bandwidth model exists, then look at one burst.
    const big = new Uint8Array(4_000_000);
    let sent = 0;
    net.runUntil(
      () => net.now > 1500,
      5000,
      () => {
        sent += a.send(big.subarray(sent), net.now);
        while (b.recv() !== undefined) {}
      },
    );
    net.pump();
    const now = net.now;
    a.send(new Uint8Array(1_000_000), now);
    const burst = drain(a).length;
    const next = a.pollTimeout();
    expect(next).toBeGreaterThan(now);
    expect(next).toBeLessThan(now + 20); // the next paced send, well before any RTO
    expect(burst).toBeLessThan(10);
    expect(a.stats().pacingRateBps).toBeLessThan(Number.POSITIVE_INFINITY);
  });
});

describe('memory', () => {
  it('buffers start small and grow with use', () => {
    const p = new PseudoTcp();
    const rings = p as unknown as { sendRing: { capacity: number }; rcvRing: { capacity: number } };
    expect(rings.sendRing.capacity).toBe(64 * 1024);
    expect(rings.rcvRing.capacity).toBe(64 * 1024);
    expect(p.sendBufferFree).toBe(8 * 1024 * 1024);
    expect(p.send(new Uint8Array(1_000_000), 0)).toBe(1_000_000);
    expect(rings.sendRing.capacity).toBe(1024 * 1024);
  });
});
