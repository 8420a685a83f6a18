// Real components across the NAT lab: two hosts behind symmetric NATs (a relay is the only path) each
// allocate on the lab's coturn from inside their namespace and exchange data through the relays.
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { checkPrerequisites, createLab, type Lab } from '@p2pcat/natlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pre = checkPrerequisites({ root: true, commands: ['turnserver', 'openssl', 'ip', 'iptables'] });
const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '..', '..', '..', 'node_modules', '.bin', 'tsx');

interface Peer {
  child: ChildProcess;
  next(): Promise<Record<string, unknown>>;
  send(line: string): void;
}

function peer(lab: Lab, host: string, transport: string): Peer {
  const c = lab.coturn!;
  const [user, pass] = Object.entries(c.users)[0]!;
  const port = transport === 'tls' ? c.tlsPort! : c.port;
  const child = lab.spawn(
    host,
    tsx,
    [join(here, 'fixtures', 'relay-peer.mts'), c.addresses[0]!, String(port), user, pass, transport, host],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines: Record<string, unknown>[] = [];
  const waiting: ((o: Record<string, unknown>) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    const w = waiting.shift();
    if (w) w(o);
    else lines.push(o);
  });
  return {
    child,
    next: () =>
      new Promise((resolve, reject) => {
        const o = lines.shift();
        if (o) return resolve(o);
        const timer = setTimeout(() => reject(new Error(`${host}: no output within 15 s`)), 15_000);
        waiting.push((x) => {
          clearTimeout(timer);
          resolve(x);
        });
      }),
    send: (line) => child.stdin!.write(`${line}\n`),
  };
}

describe.skipIf(pre.skip)('TURN relay across symmetric NATs in the NAT lab', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab({
      routers: [{ nat: 'symmetric' }, { nat: 'symmetric' }],
      name: `turn-${process.pid}`,
    });
  }, 120_000);
  afterAll(async () => {
    await lab?.down();
  }, 60_000);

  for (const transport of ['udp', 'tcp', 'tls']) {
    it(`exchanges data both ways through coturn over ${transport}`, async () => {
      const a = peer(lab, 'h1', transport);
      const b = peer(lab, 'h2', transport);
      const [ra, rb] = await Promise.all([a.next(), b.next()]);
      expect(ra.relayed).toBeDefined();
      // the server saw each host at its router's WAN address
      expect((ra.mapped as { address: string }).address).toBe(lab.routers[0]!.wanAddress);
      expect((rb.mapped as { address: string }).address).toBe(lab.routers[1]!.wanAddress);
      a.send(JSON.stringify({ peer: rb.relayed }));
      b.send(JSON.stringify({ peer: ra.relayed }));
      const [ga, gb] = await Promise.all([a.next(), b.next()]);
      expect(ga).toEqual({ got: 'hello from h2', from: rb.relayed });
      expect(gb).toEqual({ got: 'hello from h1', from: ra.relayed });
      a.send('quit');
      b.send('quit');
      expect(await Promise.all([a.next(), b.next()])).toEqual([{ closed: true }, { closed: true }]);
    }, 60_000);
  }
});
