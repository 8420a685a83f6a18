import { describe, expect, it } from 'vitest';
import { PseudoTcp, type PseudoTcpInternalOptions } from '../src/core/pseudotcp.js';
import { Prng } from './prng.js';
import { type LinkConfig, SimNetwork, transfer } from './sim.js';

const MB = 1_000_000;
const data10 = new Prng(1).bytes(10 * MB);

interface Case {
  name: string;
  link: LinkConfig;
  back?: LinkConfig;
  options?: PseudoTcpInternalOptions;
  oneSided?: boolean;
  seed?: number;
}

const cases: Case[] = [
  { name: 'no loss, 10 ms delay', link: { delayMs: 10 } },
  { name: 'no delay at all', link: {} },
  { name: '1% loss each way, 25 ms, 10 MB/s', link: { delayMs: 25, loss: 0.01, rate: 10_000 } },
  { name: '5% loss each way, 25 ms', link: { delayMs: 25, loss: 0.05, rate: 10_000 } },
  { name: '20% loss each way, 25 ms', link: { delayMs: 25, loss: 0.2, rate: 10_000 } },
  { name: 'reordering (0-10 ms jitter)', link: { delayMs: 20, jitterMs: 10, rate: 10_000 } },
  { name: 'duplication 10% with 1% loss', link: { delayMs: 20, duplicate: 0.1, loss: 0.01 } },
  { name: '150 ms each way (300 ms RTT)', link: { delayMs: 150, rate: 12_500 } },
  { name: 'rate limit 1 MB/s, 64 KiB queue', link: { delayMs: 10, rate: 1000, queueBytes: 64 * 1024 } },
  { name: 'asymmetric: loss only on the ACK path', link: { delayMs: 15 }, back: { delayMs: 15, loss: 0.1 } },
  { name: 'one-sided open', link: { delayMs: 5, loss: 0.01 }, oneSided: true },
  {
    name: 'NewReno, 1% loss',
    link: { delayMs: 10, loss: 0.01, rate: 10_000 },
    options: { congestionControl: 'newreno' },
  },
  {
    name: 'Nagle on, ack delay 0',
    link: { delayMs: 10, loss: 0.01 },
    options: { noDelay: false, ackDelay: 0 },
  },
  {
    name: 'FIN-ACK off (libjingle style) on both',
    link: { delayMs: 10, loss: 0.02 },
    options: { finAck: false },
  },
  {
    name: 'sequence numbers crossing 2^32 (and 4 GiB of sequence space)',
    link: { delayMs: 10, loss: 0.02, jitterMs: 2 },
    options: { initialSequence: 2 ** 32 - 3 * MB },
  },
  {
    name: 'sequence numbers crossing 2^33 after many wraps',
    link: { delayMs: 5, loss: 0.01 },
    options: { initialSequence: 2 ** 33 - 5 * MB },
  },
];

describe('10 MB transfers over a seeded simulated network, sha256 equal', () => {
  for (const c of cases) {
    it(c.name, () => {
      const net = new SimNetwork(
        [new PseudoTcp(c.options), new PseudoTcp(c.options)],
        c.seed ?? 42,
        c.link,
        c.back,
      );
      const r = transfer(net, data10, { oneSided: c.oneSided, closeAtEnd: true });
      expect(r.ok).toBe(true);
      expect(r.received).toBe(data10.length);
      expect(r.receivedHash).toBe(r.sentHash);
      expect(net.peers[0].state).toBe('closed');
      expect(net.peers[1].state).toBe('closed');
      for (const evs of net.events) {
        expect(evs[0]).toEqual({ type: 'opened' });
        expect(evs.filter((e) => e.type === 'closed')).toEqual([{ type: 'closed', reason: 'normal' }]);
      }
    });
  }

  it('data both ways at once', () => {
    const [a, b] = [new PseudoTcp(), new PseudoTcp()];
    const net = new SimNetwork([a, b], 9, { delayMs: 20, loss: 0.02, rate: 5000 });
    const one = new Prng(2).bytes(3 * MB);
    const two = new Prng(3).bytes(3 * MB);
    a.connect(0);
    b.connect(0);
    const got: [number[], number[]] = [[], []];
    const recvd = [0, 0];
    const chunks: [Uint8Array[], Uint8Array[]] = [[], []];
    const written = [0, 0];
    const ok = net.runUntil(
      () => recvd[0] === two.length && recvd[1] === one.length,
      120_000,
      () => {
        for (const [i, p, src] of [
          [0, a, one],
          [1, b, two],
        ] as const) {
          if (p.state === 'established') {
            while ((written[i] ?? 0) < src.length) {
              const n = p.send(src.subarray(written[i], (written[i] ?? 0) + 65_536), net.now);
              if (n === 0) break;
              written[i] = (written[i] ?? 0) + n;
            }
          }
          for (let c = p.recv(); c !== undefined; c = p.recv()) {
            chunks[i].push(c);
            recvd[i] = (recvd[i] ?? 0) + c.length;
          }
        }
      },
    );
    expect(ok).toBe(true);
    expect(Buffer.concat(chunks[1]).equals(Buffer.from(one))).toBe(true);
    expect(Buffer.concat(chunks[0]).equals(Buffer.from(two))).toBe(true);
    expect(got).toEqual([[], []]);
  });
});

describe('sending to a receiver that echoes timestamps like libnice (no per-segment echo)', () => {
  const libnice = { libniceTimestampEcho: true };
  for (const [name, link] of [
    ['1% loss, 25 ms, 10 MB/s', { delayMs: 25, loss: 0.01, rate: 10_000 }],
    ['5% loss, 10 ms', { delayMs: 10, loss: 0.05 }],
    ['reordering', { delayMs: 10, jitterMs: 5, rate: 10_000 }],
  ] as const) {
    it(name, () => {
      const net = new SimNetwork([new PseudoTcp(), new PseudoTcp(libnice)], 5, link);
      const r = transfer(net, data10, { closeAtEnd: true });
      expect(r.ok).toBe(true);
      expect(r.receivedHash).toBe(r.sentHash);
    });
  }
});

describe('throughput in simulated time (deterministic, not wall-clock)', () => {
  const link = { delayMs: 25, loss: 0.01, rate: 12_500 }; // 50 ms RTT, 1 % loss each way, 100 Mbit/s
  const rate = (options: PseudoTcpInternalOptions, rx: PseudoTcpInternalOptions = {}) => {
    const net = new SimNetwork([new PseudoTcp(options), new PseudoTcp(rx)], 11, link);
    const r = transfer(net, data10);
    expect(r.receivedHash).toBe(r.sentHash);
    return data10.length / 1000 / r.simulatedMs; // MB/s
  };

  it('1 % random loss does not collapse BBR; NewReno collapses as TCP Reno/CUBIC do', () => {
    const bbr = rate({});
    const reno = rate({ congestionControl: 'newreno' });
    console.log(
      `simulated 10 MB, 50 ms RTT, 1 % loss, 100 Mbit/s: BBR ${bbr.toFixed(2)} MB/s, NewReno ${reno.toFixed(2)} MB/s`,
    );
    expect(bbr).toBeGreaterThan(5);
    expect(bbr).toBeGreaterThan(reno * 5);
  });

  it('to a receiver echoing like libnice, recovery still beats NewReno', () => {
    const bbr = rate({}, { libniceTimestampEcho: true });
    const reno = rate({ congestionControl: 'newreno' }, { libniceTimestampEcho: true });
    console.log(
      `simulated, libnice-style receiver: BBR ${bbr.toFixed(2)} MB/s, NewReno ${reno.toFixed(2)} MB/s`,
    );
    expect(bbr).toBeGreaterThan(reno);
  });
});
