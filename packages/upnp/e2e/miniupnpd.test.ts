// Needs root, miniupnpd (nftables build), nft, upnpc: add, read back, renew and delete a
// mapping with PCP, NAT-PMP and UPnP-IGD against a real miniupnpd, and pass UDP through it.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkPrerequisites } from '@p2pcat/natlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from './lab.js';

const pre = checkPrerequisites({ root: true, commands: ['miniupnpd', 'nft', 'iptables', 'upnpc', 'ip'] });
const clientScript = fileURLToPath(new URL('./client.mjs', import.meta.url));
const exampleScript = fileURLToPath(new URL('../examples/map-port.mjs', import.meta.url));
const relayScript = fileURLToPath(new URL('./staging-relay.mjs', import.meta.url));

type Line = Record<string, unknown> & { event: string };

class Client {
  readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: Line[] = [];
  private waiters: Array<() => void> = [];
  stderr = '';
  constructor(
    ns: string,
    method: string,
    port: number,
    extra: string[] = [],
    env: Record<string, string> = {},
  ) {
    this.proc = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, clientScript, method, String(port), ...extra],
      {
        env: { ...process.env, ...env },
      },
    );
    let buf = '';
    this.proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        this.lines.push(JSON.parse(buf.slice(0, i)) as Line);
        buf = buf.slice(i + 1);
        for (const w of this.waiters.splice(0)) w();
      }
    });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.proc.on('exit', () => {
      for (const w of this.waiters.splice(0)) w();
    });
  }
  async next(event: string, timeoutMs = 8000): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex((l) => l.event === event || l.event === 'error');
      if (i >= 0) {
        const [line] = this.lines.splice(i, 1);
        if (line === undefined) continue;
        if (line.event === 'error' && event !== 'error')
          throw new Error(`client error: ${JSON.stringify(line)} ${this.stderr}`);
        return line;
      }
      if (this.proc.exitCode !== null) throw new Error(`client exited waiting for ${event}: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timeout waiting for ${event}: ${this.stderr}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
  send(cmd: string): void {
    this.proc.stdin.write(`${cmd}\n`);
  }
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    this.send('exit');
    await Promise.race([
      new Promise((r) => this.proc.once('exit', r)),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

describe.skipIf(pre.skip)('miniupnpd in a router namespace', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab('e2e');
  });
  afterAll(async () => {
    await lab?.teardown();
  });

  const cases = [
    { method: 'pcp', port: 40001 },
    { method: 'nat-pmp', port: 40002 },
    { method: 'upnp-igd', port: 40003 },
  ] as const;

  for (const { method, port } of cases) {
    it(`${method}: maps, reads back, passes WAN traffic, renews, deletes`, { timeout: 60_000 }, async () => {
      const client = new Client(lab.host, method, port);
      try {
        const mapped = await client.next('mapped');
        expect(mapped.method).toBe(method);
        expect(mapped.externalAddress).toBe(lab.externalAddress);
        expect(mapped.doubleNat).toBe(false);
        const externalPort = mapped.externalPort as number;
        expect(externalPort).toBeGreaterThan(0);
        expect(mapped.lifetime).toBeGreaterThanOrEqual(60);

        // read back: through the IGD's GetSpecificPortMappingEntry, the router's nftables, and upnpc
        client.send('readback');
        const entry = await client.next('readback');
        expect(entry.internalClient).toBe(lab.hostAddress);
        expect(entry.internalPort).toBe(port);
        expect(lab.dnatRules()).toEqual([`${externalPort}->${lab.hostAddress}:${port}`]);
        const listed = lab.run(lab.host, 'upnpc', ['-l']);
        expect(listed).toMatch(
          new RegExp(`UDP\\s+${externalPort}->${lab.hostAddress.replace(/\./g, '\\.')}:${port}`),
        );

        // traffic from the WAN side reaches the LAN host through the mapping
        lab.run(lab.wan, process.execPath, [
          '-e',
          `const s=require('node:dgram').createSocket('udp4');s.send('hello-${method}\\n',${externalPort},'${lab.externalAddress}',()=>s.close())`,
        ]);
        const got = await client.next('datagram');
        expect(got.data).toBe(`hello-${method}\n`);
        expect(got.from).toBe(lab.wanPeerAddress);

        // renewal extends the expiry and keeps the port
        await new Promise((r) => setTimeout(r, 1100));
        client.send('renew');
        const renewed = await client.next('renewed');
        expect(renewed.externalPort).toBe(externalPort);
        expect(renewed.expiresAt as number).toBeGreaterThan(mapped.expiresAt as number);

        // deletion removes the rule on the router
        client.send('close');
        await client.next('closed');
        expect(lab.dnatRules()).toEqual([]);
      } catch (e) {
        throw new Error(`${(e as Error).message}\nminiupnpd log:\n${lab.log().slice(-3000)}`);
      } finally {
        await client.stop();
      }
    });
  }

  it('the README example maps a port and deletes it, leaving no rule behind', {
    timeout: 30_000,
  }, async () => {
    // The example closes at once, while the methods that lost the race may still have a request
    // on the router (a rule left behind was seen once in a loaded CI run): its close waits for
    // them, so once it exits the router holds no rule from it, then and later.
    const fromExample = (): string[] =>
      lab.dnatRules().filter((r) => r.endsWith(`->${lab.hostAddress}:40020`));
    for (let round = 1; round <= 3; round++) {
      const run = spawnSync('ip', ['netns', 'exec', lab.host, process.execPath, exampleScript, '40020'], {
        encoding: 'utf8',
        env: { ...process.env, MAP_PORT_EXAMPLE_ONCE: '1' },
      });
      // On failure, what the example printed and the router's log say which method won and what
      // the router did with the others.
      const context = `round ${round}\nexample stdout: ${run.stdout}\nexample stderr: ${run.stderr}\nminiupnpd log:\n${lab.log().slice(-3000)}`;
      expect(run.status, context).toBe(0);
      expect(run.stdout, context).toMatch(
        /^(pcp|nat-pmp|upnp-igd): 11\.113\.0\.1:\d+ -> local port 40020, expires /,
      );
      expect(run.stderr, context).toBe(''); // close() succeeded (the router did not refuse the deletion)
      expect(fromExample(), context).toEqual([]);
      expect(lab.dnatRules(), context).toEqual([]);
    }
    // a request that reached the router late would show up now
    await new Promise((r) => setTimeout(r, 2500));
    expect(fromExample(), `miniupnpd log:\n${lab.log().slice(-3000)}`).toEqual([]);
  });

  it('nat-pmp: renews by itself at half-life, the router extends the lease', {
    timeout: 30_000,
  }, async () => {
    const client = new Client(lab.host, 'nat-pmp', 40030, ['4', 'auto']);
    try {
      const mapped = await client.next('mapped');
      expect(mapped.lifetime).toBe(4);
      const renewed = await client.next('renewed-auto', 4000);
      expect((renewed.expiresAt as number) - (mapped.expiresAt as number)).toBeGreaterThan(1500);
      await new Promise((r) => setTimeout(r, 2500)); // past the first lifetime
      client.send('readback');
      const entry = await client.next('readback');
      expect(entry.internalPort).toBe(40030);
      expect(entry.leaseDuration as number).toBeGreaterThan(0);
      client.send('close');
      await client.next('closed');
      expect(lab.dnatRules()).toEqual([]);
    } finally {
      await client.stop();
    }
  });

  /** Runs the staging relay in the LAN namespace; resolves its events as they come. */
  function startRelay(mode: 'late-add' | 'pmp-stray') {
    const relay = spawn('ip', [
      'netns',
      'exec',
      lab.host,
      process.execPath,
      relayScript,
      lab.routerLanAddress,
      lab.hostAddress,
      mode,
    ]);
    const events: Array<Record<string, unknown>> = [];
    let out = '';
    relay.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
        events.push(JSON.parse(out.slice(0, i)) as Record<string, unknown>);
        out = out.slice(i + 1);
      }
    });
    const until = async (event: string): Promise<Record<string, unknown>> => {
      const deadline = Date.now() + 8000;
      for (;;) {
        const found = events.find((e) => e.event === event);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`relay: no ${event} (${JSON.stringify(events)})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const client = async (port: number, options: Record<string, unknown> = {}): Promise<Client> => {
      const ready = await until('ready');
      return new Client(lab.host, 'all', port, [], {
        MAP_PORT_TEST_OPTIONS: JSON.stringify({
          gateway: lab.hostAddress,
          gatewayPort: ready.gatewayPort,
          ssdpTarget: { address: lab.hostAddress, port: ready.ssdpPort },
          ...options,
        }),
      });
    };
    const context = (): string =>
      `relay: ${JSON.stringify(events)}\nminiupnpd log:\n${lab.log().slice(-3000)}`;
    return { until, client, context, stop: () => relay.kill() };
  }

  /**
   * A mapPort client through the staging relay in `mode`, once PCP won with its answer held by the
   * relay; `body` goes on from there. A failure reports the relay's events and miniupnpd's log.
   */
  async function withStagedPcpWin(
    mode: 'late-add' | 'pmp-stray',
    port: number,
    options: Record<string, unknown>,
    body: (client: Client, relay: ReturnType<typeof startRelay>) => Promise<void>,
  ): Promise<void> {
    const relay = startRelay(mode);
    let client: Client | undefined;
    try {
      client = await relay.client(port, options);
      const mapped = await client.next('mapped');
      expect(mapped.method).toBe('pcp');
      expect(await relay.until('pcp-released')).toMatchObject({ held: true });
      await body(client, relay);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${relay.context()}`);
    } finally {
      await client?.stop();
      relay.stop();
    }
  }

  it('PCP wins while UPnP AddPortMapping is on its way, applied late: nothing is left behind', {
    timeout: 30_000,
  }, async () => {
    // The relay holds miniupnpd's PCP answer until UPnP's AddPortMapping for the same port comes,
    // then lets PCP win and passes AddPortMapping on 800 ms later: the router applies it whether
    // mapPort still waits or not (as one already in its queue). The loser must not be abandoned,
    // nor delete the winner's rule while it is open.
    await withStagedPcpWin('late-add', 40040, {}, async (client, relay) => {
      client.send('close'); // at once, as the README example does
      await client.next('closed');
      expect(await relay.until('add-applied')).toMatchObject({ status: 200 });
      await new Promise((r) => setTimeout(r, 300));
      expect(lab.dnatRules()).toEqual([]);
    });
  });

  it('PCP wins after the NAT-PMP fallback was applied: close deletes through both, nothing is left', {
    timeout: 30_000,
  }, async () => {
    // PCP's answer is held past the 600 ms head start, so the NAT-PMP fallback goes out; miniupnpd
    // re-files the rule under NAT-PMP (and then refuses PCP's deletion of it); PCP wins.
    await withStagedPcpWin('pmp-stray', 40050, { methods: ['pcp', 'nat-pmp'] }, async (client) => {
      expect(lab.dnatRules()).toEqual([`40050->${lab.hostAddress}:40050`]);
      client.send('close');
      await client.next('closed');
      expect(lab.dnatRules()).toEqual([]);
    });
  });

  it('mapPort with all methods returns one mapping and leaves no other behind', {
    timeout: 30_000,
  }, async () => {
    const client = new Client(lab.host, 'all', 40010);
    try {
      const mapped = await client.next('mapped');
      expect(['pcp', 'nat-pmp', 'upnp-igd']).toContain(mapped.method);
      await new Promise((r) => setTimeout(r, 1500)); // let a late loser finish and be discarded
      expect(lab.dnatRules()).toEqual([`${mapped.externalPort}->${lab.hostAddress}:40010`]);
      client.send('close');
      await client.next('closed');
      expect(lab.dnatRules()).toEqual([]);
    } finally {
      await client.stop();
    }
  });
});
