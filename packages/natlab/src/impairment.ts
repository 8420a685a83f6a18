// Link impairment without netem: delay and reordering via NFQUEUE + nfq-delay, loss via nftables
// numgen, rate via tc tbf.
import type { ChildProcess } from 'node:child_process';
import { nfqDelayBinary } from './nfqDelay.js';
import { nsRun, nsSpawn, run, waitForOutput } from './sh.js';

export interface Impairment {
  /** added to every packet where it arrives (one way): createImpairedLink RTT = 2 x delayMs; lab WAN: 2 x delayMs host to server, 4 x delayMs host to host (README) */
  delayMs?: number;
  /** random loss per direction, 0..100 (not seedable: the kernel's PRNG) */
  lossPercent?: number;
  /** egress rate limit, Mbit/s (tc tbf) */
  rateMbit?: number;
  /**
   * percent of packets, 0..100 (0.01 steps), held reorderExtraMs longer than delayMs where they
   * arrive, so packets arriving after them overtake them; picked by a seeded PRNG (see seed)
   */
  reorderPercent?: number;
  /** extra hold of a reordered packet, ms (default max(delayMs, 10)) */
  reorderExtraMs?: number;
  /**
   * seed of the reordering picks (default 1), an integer 0..2^32-1. Each nfq-delay process (each
   * impaired namespace) gets its own stream of it; the same seed and the same packets arriving in
   * the same order there give the same picks.
   */
  seed?: number;
}

export interface ImpairedInterface {
  /** packets arriving on it are delayed and dropped */
  ingress: string;
  /** rate is limited on its egress */
  egress?: string;
}

/** The nfq-delay command line options for reordering (none when reorderPercent is 0). */
export function reorderArgs(imp: Impairment, stream: number): string[] {
  const percent = imp.reorderPercent ?? 0;
  if (!(percent >= 0 && percent <= 100))
    throw new Error(`natlab: reorderPercent ${percent} is not within 0..100`);
  if (percent === 0) return [];
  const extra = imp.reorderExtraMs ?? Math.max(imp.delayMs ?? 0, 10);
  if (!(extra >= 0 && Number.isFinite(extra)))
    throw new Error(`natlab: reorderExtraMs ${extra} is not a number of ms >= 0`);
  const seed = imp.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new Error(`natlab: seed ${seed} is not an integer 0..2^32-1`);
  // A 64-bit seed per namespace: the user's seed in the low half, the stream in the high half, so
  // every (seed, stream) pair gives a different sequence of picks.
  const seed64 = (BigInt(stream) << 32n) | BigInt(seed);
  return ['-r', String(percent), '-e', String(extra), '-s', seed64.toString()];
}

/**
 * Applies an impairment inside a namespace to the given interfaces.
 * Returns the nfq-delay process (when a delay or reordering is set); it lives in the namespace, so
 * deleting the namespace's processes stops it. `stream` tells impaired namespaces of one lab or
 * link apart, so that they do not pick the same packets from one seed.
 */
export async function applyImpairment(
  netns: string,
  ifaces: ImpairedInterface[],
  imp: Impairment,
  stream = 0,
): Promise<ChildProcess | undefined> {
  let delay: ChildProcess | undefined;
  const reorder = reorderArgs(imp, stream);
  const lossPercent = imp.lossPercent ?? 0;
  if (lossPercent > 0) {
    if (lossPercent > 100) throw new Error(`natlab: lossPercent ${lossPercent} is over 100`);
    const threshold = Math.round(lossPercent * 100);
    // priority -350: before raw (-300), so dropped packets are never queued for delay.
    const rules = ifaces
      .map((i) => `    iifname "${i.ingress}" numgen random mod 10000 < ${threshold} counter drop`)
      .join('\n');
    const table = `table inet natlab_loss {\n  chain prerouting {\n    type filter hook prerouting priority -350; policy accept;\n${rules}\n  }\n}\n`;
    await nsRun(netns, 'nft', ['-f', '-'], { input: table });
  }
  // Reordering also needs nfq-delay when delayMs is 0: it holds the picked packets alone.
  if ((imp.delayMs ?? 0) > 0 || reorder.length > 0) {
    const bin = await nfqDelayBinary();
    delay = nsSpawn(netns, bin, [...reorder, '0', String(imp.delayMs ?? 0), netns]);
    await waitForOutput(delay, /ready/, 5000, `nfq-delay in ${netns}`);
    // From here on it says nothing; let go of it so a forgotten lab never keeps Node running.
    delay.stdout?.destroy();
    delay.stderr?.destroy();
    delay.unref();
    // raw PREROUTING: held where packets arrive, before conntrack, so a burst of a new flow
    // gets one conntrack entry rather than clashing unconfirmed ones.
    for (const i of ifaces) {
      await nsRun(netns, 'iptables', [
        '-w',
        '-t',
        'raw',
        '-A',
        'PREROUTING',
        '-i',
        i.ingress,
        '-j',
        'NFQUEUE',
        '--queue-num',
        '0',
      ]);
    }
  }
  if ((imp.rateMbit ?? 0) > 0) {
    const rate = imp.rateMbit ?? 0;
    const bytesPerSec = (rate * 1e6) / 8;
    // Queue about one bandwidth-delay product (at least 64 KiB) behind the shaper.
    const rttSec = (2 * (imp.delayMs ?? 0)) / 1000;
    const limit = Math.max(64 * 1024, Math.round(bytesPerSec * Math.max(rttSec, 0.02)));
    const burst = Math.max(16 * 1024, Math.round(bytesPerSec / 250));
    for (const i of ifaces) {
      if (!i.egress) continue;
      await run('tc', [
        '-n',
        netns,
        'qdisc',
        'replace',
        'dev',
        i.egress,
        'root',
        'tbf',
        'rate',
        `${rate}mbit`,
        'burst',
        String(burst),
        'limit',
        String(limit),
      ]);
    }
  }
  return delay;
}
