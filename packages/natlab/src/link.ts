// createImpairedLink: two namespaces joined by one veth, impaired on arrival in each direction.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { applyImpairment, type Impairment } from './impairment.js';
import type { LabHost } from './lab.js';
import { addNetns, cleanupStale, deleteNetns, newPrefix, trackNamespaces, waitLinksUp } from './netns.js';
import { type ExecOptions, type ExecResult, nsRun, nsSpawn, run } from './sh.js';

export interface ImpairedLinkOptions {
  /** one-way delay added on arrival at each end: RTT = 2 x delayMs (plus scheduling noise) */
  delayMs: number;
  /** random loss each way, percent */
  lossPercent?: number;
  /** rate limit each way, Mbit/s (tc tbf) */
  rateMbit?: number;
  /** percent of packets each way held reorderExtraMs longer, so later ones overtake them (seeded) */
  reorderPercent?: number;
  /** extra hold of a reordered packet, ms (default max(delayMs, 10)) */
  reorderExtraMs?: number;
  /** seed of the reordering picks (default 1); side a and side b each get their own stream of it */
  seed?: number;
  /** namespace prefix (default nl<pid>x<n>) */
  prefix?: string;
}

export type LinkSide = 'a' | 'b';

export interface ImpairedLink {
  prefix: string;
  /** 192.0.2.1 */
  a: LabHost;
  /** 192.0.2.2 */
  b: LabHost;
  namespaces: string[];
  exec(side: LinkSide, cmd: string, args?: string[], opts?: ExecOptions): Promise<ExecResult>;
  spawn(side: LinkSide, cmd: string, args?: string[], opts?: SpawnOptions): ChildProcess;
  down(): Promise<void>;
}

export async function createImpairedLink(options: ImpairedLinkOptions): Promise<ImpairedLink> {
  const prefix = options.prefix ?? newPrefix();
  const a: LabHost = { name: 'a', netns: `${prefix}-a`, address: '192.0.2.1', addresses: ['192.0.2.1'] };
  const b: LabHost = { name: 'b', netns: `${prefix}-b`, address: '192.0.2.2', addresses: ['192.0.2.2'] };
  await cleanupStale(); // leftovers of crashed runs (their process is gone)
  const namespaces: string[] = [];
  const children: ChildProcess[] = [];
  const untrack = trackNamespaces(namespaces);
  const down = async (): Promise<void> => {
    untrack();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await deleteNetns(namespaces);
  };
  try {
    for (const h of [a, b]) {
      namespaces.push(h.netns);
      await addNetns(h.netns);
    }
    await run('ip', [
      'link',
      'add',
      'eth0',
      'netns',
      a.netns,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      b.netns,
    ]);
    for (const h of [a, b]) {
      await run('ip', ['-n', h.netns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0']);
      await run('ip', ['-n', h.netns, 'link', 'set', 'eth0', 'up']);
    }
    // Both ends are up now, but the kernel applies the carrier to the operational state later
    // (see waitLinksUp): returning before that let side b look DOWN to a program started at once.
    for (const h of [a, b]) await waitLinksUp(h.netns, ['eth0']);
    for (const [i, h] of [a, b].entries()) {
      const imp: Impairment = {
        delayMs: options.delayMs,
        lossPercent: options.lossPercent ?? 0,
        rateMbit: options.rateMbit ?? 0,
        reorderPercent: options.reorderPercent ?? 0,
        reorderExtraMs: options.reorderExtraMs,
        seed: options.seed,
      };
      // Stream i: side a and side b do not pick the same packets from one seed.
      const d = await applyImpairment(h.netns, [{ ingress: 'eth0', egress: 'eth0' }], imp, i);
      if (d) children.push(d);
    }
    const side = (s: LinkSide): LabHost => (s === 'a' ? a : b);
    return {
      prefix,
      a,
      b,
      namespaces,
      exec: (s, cmd, args = [], opts = {}) => nsRun(side(s).netns, cmd, args, opts),
      spawn: (s, cmd, args = [], opts = {}) => {
        const c = nsSpawn(side(s).netns, cmd, args, opts);
        children.push(c);
        return c;
      },
      down,
    };
  } catch (e) {
    await down();
    throw e;
  }
}
