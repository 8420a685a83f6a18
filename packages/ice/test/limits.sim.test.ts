// Failing fast when no pair can form, refusing remote candidates that can never be a peer, and the
// aggregate budget of check retransmissions (issues 13 and 14).
import type { TransportAddress } from '@p2pcat/stun';
import { describe, expect, it } from 'vitest';
import { IceAgent, type IceEvent, seededRandom } from '../src/index.js';
import { gather, makePair, signal } from './helpers.js';
import { SimNetwork, v4 } from './sim-network.js';

const v6 = (address: string, port: number): TransportAddress => ({ family: 'IPv6', address, port });
const CREDS = { ufrag: 'abcd', pwd: 'abcdefghijklmnopqrstuvwx' };

function events(a: IceAgent): IceEvent[] {
  const out: IceEvent[] = [];
  for (let e = a.pollEvent(); e; e = a.pollEvent()) out.push(e);
  return out;
}

describe('no pair can form (RFC 8445 §8.1.2, RFC 8838 §8)', () => {
  it('IPv4-only here, IPv6-only there: both agents fail with no-pairs at once after both end-of-candidates', () => {
    const a = { base: v4('192.0.2.10', 5000) };
    const b = { base: v6('2001:db8::20', 6000) };
    const { net, A, B, na, nb } = makePair({ seed: 1, delay: [20, 20] }, a, b);
    gather(na, a);
    gather(nb, b);
    A.endOfLocalCandidates();
    B.endOfLocalCandidates();
    signal(na, nb, { endOfCandidates: true });
    signal(nb, na, { endOfCandidates: true });
    net.run(60_000, () => A.connectionState === 'failed' && B.connectionState === 'failed');
    for (const n of [na, nb]) {
      expect(n.events.at(-1)).toEqual({ type: 'state', state: 'failed', reason: 'no-pairs' });
      expect(n.eventTimes.at(-1)).toBe(0);
    }
    expect(net.delivered).toBe(0); // not one check was sent
  });

  it('without our own end-of-candidates (trickle may still add one) the connect timeout ends the wait', () => {
    const a = { base: v4('192.0.2.10', 5000), options: { timing: { connectTimeout: 5_000 } } };
    const b = { base: v6('2001:db8::20', 6000) };
    const { net, A, na, nb } = makePair({ seed: 2, delay: [20, 20] }, a, b);
    gather(na, a);
    gather(nb, b);
    signal(nb, na, { endOfCandidates: true });
    net.run(60_000, () => A.connectionState === 'failed');
    expect(na.events.at(-1)).toEqual({ type: 'state', state: 'failed', reason: 'timeout' });
    expect(na.eventTimes.at(-1)).toBe(5_000);
  });

  it('trickle without the peer’s end-of-candidates: connectTimeout at the latest, even with zero pairs', () => {
    const A = new IceAgent({ random: seededRandom(3), timing: { connectTimeout: 2_000 } });
    A.addLocalCandidate({ type: 'host', address: v4('192.0.2.1', 5000) });
    A.endOfLocalCandidates();
    A.setRemoteCredentials(CREDS);
    let now = 100;
    for (let i = 0; i < 100; i++) {
      const t = A.pollTimeout();
      if (t === undefined) break;
      now = Math.max(now, t);
      A.handleTimeout(now);
      if (A.connectionState === 'failed') break;
    }
    expect(A.connectionState).toBe('failed');
    expect(now).toBe(2_100);
    expect(events(A).at(-1)).toEqual({ type: 'state', state: 'failed', reason: 'timeout' });
  });
});

describe('remote candidates that can never be a peer are refused with a warning', () => {
  it('port 0, unspecified, multicast, broadcast, reserved, IPv4-mapped, malformed', () => {
    const A = new IceAgent({ random: seededRandom(4) });
    A.addLocalCandidate({ type: 'host', address: v4('192.0.2.1', 5000) });
    A.setRemoteCredentials(CREDS);
    const bad: [TransportAddress, string][] = [
      [v4('198.51.100.1', 0), 'port-zero'],
      [v4('0.0.0.0', 9), 'unspecified'],
      [v4('0.1.2.3', 9), 'unspecified'],
      [v4('224.0.0.251', 5353), 'multicast'],
      [v4('239.255.255.250', 1900), 'multicast'],
      [v4('255.255.255.255', 9), 'broadcast'],
      [v4('240.0.0.1', 9), 'reserved'],
      [v6('::', 9), 'unspecified'],
      [v6('0:0:0:0:0:0:0:0', 9), 'unspecified'],
      [v6('ff02::1', 9), 'multicast'],
      [v6('::ffff:192.0.2.1', 9), 'ipv4-mapped'],
      [v6('::ffff:c000:201', 9), 'ipv4-mapped'],
      [v6('::192.0.2.1', 9), 'ipv4-mapped'],
      [v4('300.1.1.1', 9), 'invalid-address'],
      [v4('example.com', 9), 'invalid-address'],
      [v6('2001:db8::1::2', 9), 'invalid-address'],
    ];
    for (const [address] of bad)
      expect(A.addRemoteCandidate({ type: 'host', address, priority: 1, foundation: 'x' })).toBeUndefined();
    const refused = events(A).filter((e) => e.type === 'candidate-refused');
    expect(refused.map((e) => e.type === 'candidate-refused' && e.reason)).toEqual(bad.map(([, r]) => r));
    expect(A.getPairs()).toEqual([]);
    // Ordinary addresses still pass.
    expect(
      A.addRemoteCandidate({ type: 'host', address: v4('198.51.100.1', 9), priority: 1, foundation: 'x' }),
    ).toBeDefined();
    expect(
      A.addRemoteCandidate({ type: 'host', address: v6('2001:db8::1', 9), priority: 1, foundation: 'y' }),
    ).toBeDefined();
  });

  it('loopback: refused unless a local base is loopback or allowLoopback is true; allowLoopback false refuses it always', () => {
    const lo = v4('127.0.0.1', 9);
    const add = (A: IceAgent) =>
      A.addRemoteCandidate({ type: 'host', address: lo, priority: 1, foundation: 'x' });
    const plain = new IceAgent({ random: seededRandom(5) });
    plain.addLocalCandidate({ type: 'host', address: v4('192.0.2.1', 5000) });
    expect(add(plain)).toBeUndefined();
    expect(events(plain)).toContainEqual(
      expect.objectContaining({ type: 'candidate-refused', reason: 'loopback' }),
    );
    const local = new IceAgent({ random: seededRandom(5) });
    local.addLocalCandidate({ type: 'host', address: v4('127.0.0.1', 5000) });
    expect(add(local)).toBeDefined();
    const allowed = new IceAgent({ random: seededRandom(5), allowLoopback: true });
    expect(add(allowed)).toBeDefined();
    const denied = new IceAgent({ random: seededRandom(5), allowLoopback: false });
    denied.addLocalCandidate({ type: 'host', address: v4('127.0.0.1', 5000) });
    expect(add(denied)).toBeUndefined();
    const v6lo = new IceAgent({ random: seededRandom(5) });
    v6lo.addLocalCandidate({ type: 'host', address: v4('192.0.2.1', 5000) });
    expect(
      v6lo.addRemoteCandidate({ type: 'host', address: v6('::1', 9), priority: 1, foundation: 'x' }),
    ).toBeUndefined();
  });

  it('at most maxRemoteCandidates (default 20) signalled candidates per generation', () => {
    const A = new IceAgent({ random: seededRandom(6) });
    A.addLocalCandidate({ type: 'host', address: v4('192.0.2.1', 5000) });
    A.setRemoteCredentials(CREDS);
    for (let i = 1; i <= 30; i++)
      A.addRemoteCandidate({ type: 'host', address: v4(`198.51.100.${i}`, 9), priority: i, foundation: 'x' });
    expect(A.getRemoteCandidates().length).toBe(20);
    expect(events(A).filter((e) => e.type === 'candidate-refused' && e.reason === 'limit').length).toBe(10);
    const B = new IceAgent({ random: seededRandom(6), maxRemoteCandidates: 3 });
    for (let i = 1; i <= 5; i++)
      B.addRemoteCandidate({ type: 'host', address: v4(`198.51.100.${i}`, 9), priority: i, foundation: 'x' });
    expect(B.getRemoteCandidates().length).toBe(3);
  });
});

describe('aggregate budget of check retransmissions', () => {
  /** A joiner (p2pcat) with 5 local x 20 remote = 100 pairs nobody answers, probing every 2 s for 10 minutes. */
  function joiner(timing: Record<string, number>) {
    const net = new SimNetwork({ seed: 7, delay: [20, 20] });
    const A = new IceAgent({
      random: seededRandom(7),
      role: 'controlled',
      timing: { maxRetransmitInterval: 2_000, maxCheckRequests: 1_000, connectTimeout: 700_000, ...timing },
    });
    const node = net.add('A', A, v4('10.0.0.2', 5000));
    for (let i = 0; i < 5; i++) {
      const base = v4(`10.0.${i}.2`, 5000);
      if (i > 0) node.bases.push(base);
      A.addLocalCandidate({ type: 'host', address: base, localPreference: 65535 - i });
    }
    A.setRemoteCredentials(CREDS);
    for (let i = 1; i <= 20; i++)
      A.addRemoteCandidate({
        type: 'host',
        address: v4(`198.51.100.${i}`, 9),
        priority: 1000 + i,
        foundation: `f${i}`,
      });
    expect(A.getPairs().length).toBe(100);
    const sentAt: number[] = [];
    net.blackhole = (_from, _to, now) => {
      sentAt.push(now);
      return true;
    };
    net.run(600_000);
    expect(A.connectionState).toBe('checking');
    return { A, sentAt };
  }

  it('100 pairs, maxRetransmitInterval 2 s, 10 simulated minutes: within 4/s after the first round', () => {
    const { A, sentAt } = joiner({});
    const firstRound = 100;
    // Budget: the first round (paced by Ta), the saved-up burst of 40, then 4 per second.
    expect(sentAt.length).toBeLessThanOrEqual(firstRound + 40 + 4 * 600 + 1);
    expect(sentAt.length).toBeGreaterThan(4 * 590); // it does keep probing at the budget
    // Every 10 s window after the first minute carries at most 40 requests.
    for (let t = 60_000; t < 600_000; t += 10_000) {
      const n = sentAt.filter((x) => x >= t && x < t + 10_000).length;
      expect(n, `window at ${t}`).toBeLessThanOrEqual(41);
    }
    // Round robin: every pair was probed again late in the wait (its NAT binding stays fresh).
    expect(A.getPairs().every((p) => p.stats.requestsSent >= 15)).toBe(true);
    expect(A.sent.deferredRetransmits).toBeGreaterThan(0);
    console.log(
      `100 pairs, 10 min, cap 2 s: ${sentAt.length} requests with the budget (${(sentAt.length / 600).toFixed(2)}/s)`,
    );
  });

  it('without the budget the same joiner sends about 50 datagrams per second (the issue)', () => {
    const { sentAt } = joiner({ checkRetransmitRate: Number.POSITIVE_INFINITY });
    expect(sentAt.length).toBeGreaterThan(25_000);
    console.log(`100 pairs, 10 min, cap 2 s: ${sentAt.length} requests without the budget`);
  });

  it('a normal connect with several pairs and loss is not held back by the budget', () => {
    const a = { base: v4('192.0.2.10', 5000) };
    const b = { base: v4('192.0.2.20', 6000) };
    for (const rate of [4, Number.POSITIVE_INFINITY]) {
      const { net, A, B, na, nb } = makePair(
        { seed: 31, delay: [20, 30], loss: 0.2 },
        { ...a, options: { timing: { checkRetransmitRate: rate } } },
        { ...b, options: { timing: { checkRetransmitRate: rate } } },
      );
      gather(na, a);
      gather(nb, b);
      // Eight unreachable extra addresses on each side: 9 x 9 pairs checked at once.
      for (let i = 0; i < 8; i++) {
        A.addLocalCandidate({ type: 'host', address: v4(`192.0.2.${100 + i}`, 5000), localPreference: 100 });
        B.addLocalCandidate({ type: 'host', address: v4(`192.0.2.${150 + i}`, 6000), localPreference: 100 });
      }
      signal(na, nb);
      signal(nb, na);
      const t = net.run(30_000, () => A.connectionState === 'completed' && B.connectionState === 'completed');
      expect(A.connectionState).toBe('completed');
      expect(A.sent.deferredRetransmits).toBe(0);
      if (rate === 4) expect(t).toBeLessThan(5_000);
    }
  });
});
