// Echo ranges (src/core/echo-range.ts) on a seeded 50 ms path with 1 % loss of data and 1 % loss of
// ACKs: spurious retransmissions (a segment resent although it had arrived: its one ACK was lost)
// and the number of ACKs, with and without echo ranges.

import { describe, expect, it } from 'vitest';
import { PseudoTcp, type PseudoTcpInternalOptions } from '../src/core/pseudotcp.js';
import { Prng } from './prng.js';
import { type LinkConfig, SimNetwork, transfer } from './sim.js';

const data = new Prng(1).bytes(10_000_000);

interface Outcome {
  MBps: number;
  retransmits: number;
  spurious: number;
  acks: number;
  dataSegments: number;
  rangeMarked: number;
}

/**
 * 10 MB from peer 0 to peer 1 over 25 ms each way at 40 MB/s; 1 % of the datagrams each way
 * dropped by a seeded filter that also records which data segments arrived, so that a
 * retransmission of a segment that had arrived counts as spurious.
 */
function run(
  sender: PseudoTcpInternalOptions,
  receiver: PseudoTcpInternalOptions,
  link: LinkConfig = {},
  seed = 11,
): Outcome {
  const net = new SimNetwork([new PseudoTcp(sender), new PseudoTcp(receiver)], seed, {
    delayMs: 25,
    rate: 40_000,
    queueBytes: 8 << 20,
    ...link,
  });
  const loss = new Prng(seed + 100);
  const arrived = new Set<number>();
  let spurious = 0;
  let dataSegments = 0;
  net.filter = (from, d) => {
    const drop = loss.next() < 0.01;
    if (from === 0 && d.length > 24) {
      dataSegments++;
      const seq = new DataView(d.buffer, d.byteOffset).getUint32(4);
      if (arrived.has(seq)) spurious++;
      if (!drop) arrived.add(seq);
    }
    return !drop;
  };
  const r = transfer(net, data);
  expect(r.receivedHash).toBe(r.sentHash);
  return {
    MBps: data.length / 1000 / r.simulatedMs,
    retransmits: net.peers[0].stats().retransmits,
    spurious,
    acks: net.sent[1],
    dataSegments,
    rangeMarked: net.peers[0].debug.rangeMarked,
  };
}

const show = (name: string, o: Outcome) =>
  console.log(
    `${name}: ${o.MBps.toFixed(2)} MB/s, ${o.retransmits} retransmissions (${o.spurious} spurious), ${o.acks} ACKs for ${o.dataSegments} data segments`,
  );

describe('echo ranges, 50 ms RTT, 1 % data and 1 % ACK loss (seeded)', () => {
  it('an ACK per segment (no batching): spurious retransmissions fall from about half of them to almost none', () => {
    const before = run({ echoRanges: false }, { echoRanges: false });
    const after = run({}, {});
    show('without echo ranges', before);
    show('with echo ranges', after);
    expect(before.rangeMarked).toBe(0);
    expect(before.spurious).toBeGreaterThan(before.retransmits / 3);
    expect(after.spurious).toBeLessThan(before.spurious / 10);
    expect(after.retransmits).toBeLessThan(before.retransmits * 0.7);
    expect(after.rangeMarked).toBeGreaterThan(0);
    expect(after.MBps).toBeGreaterThan(before.MBps * 0.9);
  });

  it('datagrams read in batches (1 ms), 3 seeds: one ACK per batch, out of order too, and still few spurious retransmissions', () => {
    const batched = { batchMs: 1 };
    const sum = (options: PseudoTcpInternalOptions): Outcome => {
      const all = [11, 12, 13].map((seed) => run(options, options, batched, seed));
      const total = (k: keyof Outcome) => all.reduce((a, o) => a + o[k], 0);
      return {
        MBps: total('MBps') / all.length,
        retransmits: total('retransmits'),
        spurious: total('spurious'),
        acks: total('acks'),
        dataSegments: total('dataSegments'),
        rangeMarked: total('rangeMarked'),
      };
    };
    const before = sum({ echoRanges: false });
    const after = sum({});
    show('batched, without echo ranges', before);
    show('batched, with echo ranges', after);
    // Without ranges, every out-of-order segment needs its own ACK; nearly all segments are out of
    // order on this path (a loss every ~100 segments, a hole open for a round trip of ~1500).
    expect(before.acks).toBeGreaterThan(before.dataSegments * 0.8);
    expect(after.acks).toBeLessThan(after.dataSegments / 4);
    expect(after.spurious).toBeLessThan(before.spurious / 3);
    expect(after.MBps).toBeGreaterThan(before.MBps * 0.9);
  });

  it('a peer without echo ranges (an older version): neither side uses them, and ACKs stay one per out-of-order segment', () => {
    for (const [sender, receiver] of [
      [{ echoRanges: false }, {}],
      [{}, { echoRanges: false }],
    ] as const) {
      const o = run(sender, receiver, { batchMs: 1 });
      expect(o.rangeMarked).toBe(0);
      expect(o.acks).toBeGreaterThan(o.dataSegments * 0.8);
    }
  });

  it('a receiver echoing like libnice announces no echo ranges and gets none', () => {
    const o = run({}, { libniceTimestampEcho: true });
    expect(o.rangeMarked).toBe(0);
  });
});
