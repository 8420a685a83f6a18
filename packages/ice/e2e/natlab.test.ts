// The NAT-lab matrix: two of our agents behind real Linux NATs (network namespaces), coturn as STUN
// server and, for symmetric/symmetric, as TURN relay. Each combination connects several times and
// carries data both ways.
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { checkPrerequisites, createLab, type Lab } from '@p2pcat/natlab';
import { describe, expect, it } from 'vitest';

const pre = checkPrerequisites({ root: true, commands: ['turnserver', 'ip', 'iptables', 'nft'] });
const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.ICE_NATLAB_RUNS ?? 3);

class LabPeer {
  private readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (l) => {
      this.lines.push(l);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  waitFor(prefix: string, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`lab peer never printed "${prefix}"; it printed:\n${this.lines.join('\n')}`)),
        timeoutMs,
      );
      const check = () => {
        const l = this.lines.find((x) => x.startsWith(prefix) || x.startsWith('error '));
        if (l?.startsWith('error ') && !prefix.startsWith('error')) {
          clearTimeout(timer);
          reject(new Error(l));
        } else if (l !== undefined) {
          clearTimeout(timer);
          resolve(l);
        } else this.waiters.push(check);
      };
      check();
    });
  }
  all(): string {
    return this.lines.filter((l) => !l.startsWith('dump')).join(' | ');
  }
  write(line: string): void {
    this.proc.stdin?.write(`${line}\n`);
  }
}

type Nat = 'none' | 'full-cone' | 'restricted' | 'symmetric';
const matrix: [Nat, Nat, boolean][] = [
  ['none', 'none', false],
  ['full-cone', 'full-cone', false],
  ['restricted', 'restricted', false],
  // Port-restricted cone facing a symmetric NAT has no direct path (RFC 4787: the symmetric side's port
  // towards the cone is unknowable, the cone filters everything else): the relay is the way.
  ['restricted', 'symmetric', true],
  ['symmetric', 'symmetric', true],
];

describe.skipIf(pre.skip)('NAT lab matrix (our agent on both sides)', () => {
  const only = process.env.ICE_NATLAB_ONLY;
  for (const [natA, natB, relay] of matrix.filter(([a, b]) => !only || `${a}/${b}` === only)) {
    it(`${natA}/${natB}${relay ? ' through a coturn relay' : ''}: connects and carries data, ${RUNS} runs`, {
      timeout: 180_000,
    }, async () => {
      let lab: Lab | undefined;
      try {
        // delayMs 50 on each router's WAN (about 200 ms RTT between the peers: the lab adds it twice per
        // direction on this path). Linux conntrack NATs need
        // both sides' first checks to cross in flight: a check that reaches the peer's router before the
        // peer's own check left it creates an entry that makes that router pick a new port (a simultaneous-
        // open artefact of conntrack). The delay gives peers started by a loaded machine enough slack.
        lab = await createLab({ routers: [{ nat: natA }, { nat: natB }], impairment: { delayMs: 50 } });
        const server = {
          family: 'IPv4' as const,
          address: lab.server.address,
          port: lab.coturn?.port ?? 3478,
        };
        const [user, pass] = Object.entries(lab.coturn?.users ?? { user: 'pass' })[0] ?? ['user', 'pass'];
        for (let run = 0; run < RUNS; run++) {
          const peers = (['h1', 'h2'] as const).map((h, i) => {
            const cfg = {
              role: i === 0 ? 'controlling' : 'controlled',
              stun: server,
              ...(relay ? { turn: { server, username: user, password: pass } } : {}),
            };
            const proc = (lab as Lab).spawn(
              h,
              process.execPath,
              ['--import', 'tsx', join(pkgDir, 'e2e', 'lab-peer.ts'), JSON.stringify(cfg)],
              {
                cwd: pkgDir,
                stdio: ['pipe', 'pipe', 'inherit'],
              },
            );
            return new LabPeer(proc);
          });
          const [a, b] = peers as [LabPeer, LabPeer];
          try {
            const [da, db] = await Promise.all([a.waitFor('desc '), b.waitFor('desc ')]);
            a.write(`remote ${db.slice(5)}`);
            b.write(`remote ${da.slice(5)}`);
            await Promise.all([a.waitFor('connected'), b.waitFor('connected')]).catch(async (e: Error) => {
              a.write('dump');
              b.write('dump');
              const dumps = await Promise.all([a.waitFor('dump', 2000), b.waitFor('dump', 2000)]).catch(
                () => [],
              );
              throw new Error(`${e.message}\n${dumps.join('\n')}\nA: ${a.all()}\nB: ${b.all()}`);
            });
            const [sa] = await Promise.all([a.waitFor('selected'), b.waitFor('selected')]);
            a.write('send ping-from-a');
            b.write('send ping-from-b');
            await Promise.all([a.waitFor('recv ping-from-b'), b.waitFor('recv ping-from-a')]);
            if (relay) expect(sa).toMatch(/relay|prflx/);
          } finally {
            a.write('quit');
            b.write('quit');
            a.proc.kill();
            b.proc.kill();
          }
        }
      } finally {
        await lab?.down();
      }
    });
  }
});

describe.skipIf(pre.skip || checkPrerequisites({ pkgConfig: ['nice'], commands: ['gcc'] }).skip)(
  'NAT lab: our agent with libnice, restricted/restricted',
  () => {
    for (const ourRole of ['controlling', 'controlled'] as const) {
      it(`connects with our agent ${ourRole}, data both ways`, { timeout: 120_000 }, async () => {
        const { NicePeer } = await import('./nice-peer.js');
        let lab: Lab | undefined;
        try {
          lab = await createLab({
            routers: [{ nat: 'restricted' }, { nat: 'restricted' }],
            impairment: { delayMs: 50 },
          });
          const l = lab;
          const stun = { family: 'IPv4' as const, address: l.server.address, port: 3478 };
          const ours = new LabPeer(
            l.spawn(
              'h1',
              process.execPath,
              [
                '--import',
                'tsx',
                join(pkgDir, 'e2e', 'lab-peer.ts'),
                JSON.stringify({ role: ourRole, stun }),
              ],
              {
                cwd: pkgDir,
                stdio: ['pipe', 'pipe', 'inherit'],
              },
            ),
          );
          const nice = new NicePeer(ourRole === 'controlled', l.hosts.h2?.address ?? '', {
            stunServer: l.server.address,
            spawner: (cmd, args) => l.spawn('h2', cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] }),
          });
          try {
            const [mine, theirs] = await Promise.all([ours.waitFor('desc '), nice.description]);
            nice.setRemote(JSON.parse(mine.slice(5)));
            ours.write(`remote ${JSON.stringify(theirs)}`);
            await Promise.all([ours.waitFor('selected'), nice.waitFor('selected')]);
            ours.write('send ping-from-ts');
            await nice.waitFor('recv ping-from-ts');
            nice.send('hello-from-nice');
            await Promise.all([ours.waitFor('recv hello-from-nice'), ours.waitFor('recv echo:ping-from-ts')]);
          } finally {
            ours.write('quit');
            ours.proc.kill();
            nice.close();
          }
        } finally {
          await lab?.down();
        }
      });
    }
  },
);
