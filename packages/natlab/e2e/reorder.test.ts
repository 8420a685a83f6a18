// Seeded reordering in nfq-delay: across an impaired link and through a lab router.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkPrerequisites, createImpairedLink, createLab, type ImpairedLinkOptions } from '../src/index.js';

const pre = checkPrerequisites({ root: true, commands: ['ip', 'iptables', 'nft', 'gcc'] });
const udpSeq = fileURLToPath(new URL('./udp-seq.mjs', import.meta.url));

interface Received {
  received: number;
  duplicates: number;
  late: number[];
  order: number[];
}

const COUNT = 400;

/**
 * Starts the receiver (already spawned in its namespace), runs the sender, and returns what the
 * receiver saw. The sender sends COUNT numbered datagrams, 10 every 5 ms.
 */
async function transfer(receiver: ChildProcess, send: () => Promise<unknown>): Promise<Received> {
  let out = '';
  const exited = new Promise((r) => receiver.once('exit', r));
  const ready = new Promise<void>((r) => {
    receiver.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) r();
    });
  });
  await ready;
  await send();
  await exited;
  const r = JSON.parse(out.slice(out.indexOf('{'))) as Received;
  if (process.env.NATLAB_DEBUG)
    console.log(`received ${r.received}, late ${r.late.length}: ${r.late.join(' ')}`);
  return r;
}

const receive = [udpSeq, 'receive', '9000', String(COUNT)];
const sendTo = (host: string): string[] => [udpSeq, 'send', host, '9000', String(COUNT), '10', '5'];

/** Sends across a fresh impaired link from side a to side b. */
async function sendAcross(options: ImpairedLinkOptions): Promise<Received> {
  const link = await createImpairedLink(options);
  try {
    return await transfer(link.spawn('b', process.execPath, receive), () =>
      link.exec('a', process.execPath, sendTo(link.b.address)),
    );
  } finally {
    await link.down();
  }
}

describe.skipIf(pre.skip)('natlab reordering', () => {
  it('impaired link with 20% reordering and no delay: some datagrams overtaken, none lost, same seed same picks', async () => {
    const opts: ImpairedLinkOptions = { delayMs: 0, reorderPercent: 20, reorderExtraMs: 15, seed: 42 };
    const first = await sendAcross(opts);
    const second = await sendAcross(opts);
    const other = await sendAcross({ ...opts, seed: 43 });
    for (const r of [first, second, other]) {
      expect([r.received, r.duplicates]).toEqual([COUNT, 0]);
      // About 20% of 400 are held 15 ms while two or three later bursts pass them.
      expect(r.late.length).toBeGreaterThan(COUNT * 0.1);
      expect(r.late.length).toBeLessThan(COUNT * 0.3);
    }
    // The picks depend only on the seed and the arrival order, which is the send order here; timing
    // decides only whether a pick is overtaken (a sender stalled for 15 ms on a loaded machine lets
    // one through in order). Measured: the very same set twice; another seed shares about a fifth.
    const same = first.late.filter((s) => second.late.includes(s)).length;
    expect(same).toBeGreaterThanOrEqual(0.8 * Math.max(first.late.length, second.late.length));
    const shared = first.late.filter((s) => other.late.includes(s)).length;
    expect(shared).toBeLessThan(0.6 * first.late.length);
  }, 60_000);

  it('impaired link with delay and no reordering: every datagram arrives, in order', async () => {
    const r = await sendAcross({ delayMs: 5 });
    expect([r.received, r.duplicates, r.late]).toEqual([COUNT, 0, []]);
    expect(r.order).toEqual([...Array(COUNT).keys()]);
  }, 30_000);

  it('lab router impairment with delay and reordering: overtaken datagrams, none lost', async () => {
    const lab = await createLab({
      routers: [{ nat: 'restricted' }],
      coturn: false,
      impairment: { delayMs: 5, reorderPercent: 20, seed: 7 },
    });
    try {
      // h1 -> server crosses router 1, which holds the datagrams on arrival on lan0.
      const r = await transfer(lab.spawn('server', process.execPath, receive), () =>
        lab.exec('h1', process.execPath, sendTo(lab.server.address)),
      );
      expect([r.received, r.duplicates]).toEqual([COUNT, 0]);
      expect(r.late.length).toBeGreaterThan(COUNT * 0.1);
      expect(r.late.length).toBeLessThan(COUNT * 0.3);
    } finally {
      await lab.down();
    }
  }, 30_000);
});
