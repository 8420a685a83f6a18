// Link impairment without netem: delay via NFQUEUE + nfq-delay, loss via nftables numgen, rate via tc tbf.
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
}

export interface ImpairedInterface {
  /** packets arriving on it are delayed and dropped */
  ingress: string;
  /** rate is limited on its egress */
  egress?: string;
}

/**
 * Applies an impairment inside a namespace to the given interfaces.
 * Returns the nfq-delay process (when a delay is set); it lives in the namespace, so deleting the
 * namespace's processes stops it.
 */
export async function applyImpairment(
  netns: string,
  ifaces: ImpairedInterface[],
  imp: Impairment,
): Promise<ChildProcess | undefined> {
  let delay: ChildProcess | undefined;
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
  if ((imp.delayMs ?? 0) > 0) {
    const bin = await nfqDelayBinary();
    delay = nsSpawn(netns, bin, ['0', String(imp.delayMs), netns]);
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
