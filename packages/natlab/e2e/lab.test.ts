// The lab end to end: real namespaces, iptables NATs, coturn, NFQUEUE delay; and a complete teardown.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPrerequisites, createImpairedLink, createLab, type Lab } from '../src/index.js';
import { leftovers } from './leftovers.js';

const pre = checkPrerequisites({
  root: true,
  commands: ['ip', 'iptables', 'nft', 'tc', 'turnserver', 'gcc', 'iperf3', 'miniupnpd', 'upnpc', 'openssl'],
});
const probe = fileURLToPath(new URL('./stun-probe.mjs', import.meta.url));
const udpPing = fileURLToPath(new URL('./udp-ping.mjs', import.meta.url));

interface ProbeResult {
  local: number;
  results: { host: string; port: number; change: number; mapped: string | null }[];
  hairpin: string | null;
}

async function stunProbe(lab: Lab, host: string, hairpin = false): Promise<ProbeResult> {
  const [p, alt] = lab.server.addresses;
  const spec = {
    hairpin,
    requests: [
      { host: p, port: 3478 },
      { host: alt, port: 3478 }, // other address, same port
      { host: p, port: 3479 }, // same address, other port
      { host: p, port: 3478, change: 6 }, // answer from the other address and port
    ],
  };
  const r = await lab.exec(host, process.execPath, [probe, JSON.stringify(spec)]);
  return JSON.parse(r.stdout) as ProbeResult;
}

describe.skipIf(pre.skip)('natlab', () => {
  let lab: Lab | undefined;
  let prefix = '';

  beforeAll(async () => {
    lab = await createLab({
      routers: [
        { nat: 'none' },
        { nat: 'full-cone', hairpin: true },
        { nat: 'restricted', miniupnpd: true, hairpin: true },
        { nat: 'symmetric' },
      ],
      coturn: {
        users: { alice: 'wonderland' },
        staticAuthSecret: 'rest-secret',
        realm: 'lab.test',
        tls: true,
      },
    });
    prefix = lab.prefix;
  }, 60_000);

  afterAll(async () => {
    await lab?.down();
  }, 30_000);

  it('none: the LAN host is seen with its own address, unfiltered', async () => {
    const l = lab as Lab;
    const r = await stunProbe(l, 'h1');
    const own = `${l.hosts.h1?.address}:${r.local}`;
    expect(r.results.map((x) => x.mapped)).toEqual([own, own, own, own]);
  });

  it('full-cone: endpoint-independent mapping and filtering, hairpin', async () => {
    const l = lab as Lab;
    const r = await stunProbe(l, 'h2', true);
    const wan = `${l.routers[1]?.wanAddress}:${r.local}`;
    expect(r.results.map((x) => x.mapped)).toEqual([wan, wan, wan, wan]);
    expect(r.hairpin).toBe(wan);
  });

  it('restricted: endpoint-independent mapping, address-and-port-dependent filtering, hairpin', async () => {
    const l = lab as Lab;
    const r = await stunProbe(l, 'h3', true);
    const wan = `${l.routers[2]?.wanAddress}:${r.local}`;
    expect(r.results.map((x) => x.mapped)).toEqual([wan, wan, wan, null]);
    expect(r.hairpin).toBe(wan);
  });

  it('symmetric: address-and-port-dependent mapping, filtered, no hairpin', async () => {
    const l = lab as Lab;
    const r = await stunProbe(l, 'h4', true);
    expect(r.hairpin).toBeNull();
    const [a, b, c, d] = r.results.map((x) => x.mapped);
    const wan = l.routers[3]?.wanAddress ?? '';
    for (const m of [a, b, c]) expect(m?.startsWith(`${wan}:`)).toBe(true);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(d).toBeNull();
  });

  it('miniupnpd on a router: a UPnP port mapping lets the server reach the LAN host', async () => {
    const l = lab as Lab;
    const add = await l.exec(
      'h3',
      'upnpc',
      ['-i', '-e', 'natlab', '-a', l.hosts.h3?.address ?? '', '6000', '6000', 'UDP'],
      {
        timeoutMs: 15_000,
      },
    );
    expect(add.stdout).toMatch(/is redirected to internal 10\.0\.3\.2:6000/);
    const echo = l.spawn('h3', process.execPath, [udpPing, 'server', '6000']);
    await new Promise((r) => echo.stdout?.once('data', r));
    const out = await l.exec('server', process.execPath, [
      udpPing,
      'client',
      l.routers[2]?.wanAddress ?? '',
      '6000',
      '3',
    ]);
    expect((JSON.parse(out.stdout) as number[]).length).toBe(3);
    echo.kill();
  }, 30_000);

  it('coturn allocates a relay for the long-term user and for the REST secret, from behind a NAT', async () => {
    const l = lab as Lab;
    const c = l.coturn;
    expect(c?.tlsPort).toBe(5349);
    const server = l.server.address;
    const [lt, rest, tls] = await Promise.all([
      l.exec('h3', 'turnutils_uclient', [
        '-u',
        'alice',
        '-w',
        'wonderland',
        '-n',
        '1',
        '-m',
        '1',
        '-y',
        server,
      ]),
      l.exec('h4', 'turnutils_uclient', [
        '-W',
        'rest-secret',
        '-p',
        String(c?.restPort),
        '-n',
        '1',
        '-m',
        '1',
        '-y',
        server,
      ]),
      l.exec('h2', 'openssl', ['s_client', '-connect', `${server}:5349`, '-brief'], { input: '' }),
    ]);
    expect(lt.stdout).toMatch(/Total lost packets 0/);
    expect(rest.stdout).toMatch(/Total lost packets 0/);
    expect(tls.stderr).toMatch(/CONNECTION ESTABLISHED/);
    expect(tls.stderr).toMatch(/CN = natlab-turn/);
  }, 40_000);

  it('impaired link: RTT is twice the one-way delay, both ends up at once, TCP runs across it', async () => {
    const link = await createImpairedLink({ delayMs: 25, rateMbit: 20 });
    try {
      // Right when createImpairedLink resolves, both ends must be administratively up, have carrier
      // and be operationally UP: Node (libuv) lists only interfaces that are up and running, so an
      // application started at once in either namespace must already see 192.0.2.x on eth0.
      for (const s of ['a', 'b'] as const) {
        const [show, ifs] = await Promise.all([
          link.exec(s, 'ip', ['-j', 'link', 'show', 'dev', 'eth0']),
          link.exec(s, process.execPath, [
            '-e',
            'console.log(JSON.stringify(Object.keys(require("node:os").networkInterfaces())))',
          ]),
        ]);
        const [dev] = JSON.parse(show.stdout) as { flags: string[]; operstate: string }[];
        expect([s, dev?.flags.includes('UP'), dev?.flags.includes('LOWER_UP'), dev?.operstate]).toEqual([
          s,
          true,
          true,
          'UP',
        ]);
        expect(JSON.parse(ifs.stdout)).toContain('eth0');
      }
      const echo = link.spawn('b', process.execPath, [udpPing, 'server', '7']);
      await new Promise((r) => echo.stdout?.once('data', r));
      const out = await link.exec('a', process.execPath, [udpPing, 'client', link.b.address, '7', '10']);
      const rtts = JSON.parse(out.stdout) as number[];
      expect(rtts.length).toBe(10);
      // The minimum over 10 pings: the delay is held for every packet, so no RTT can be below
      // 2 x 25 ms (strict), while scheduling on a loaded 2-core CI machine only ever adds time, so
      // the upper bound is generous (it still tells 2 x delay from 4 x delay).
      const min = Math.min(...rtts);
      expect(min).toBeGreaterThanOrEqual(50);
      expect(min).toBeLessThan(100);
      // iperf3 prints its banner once it listens (flushed: stdout is a pipe); a fixed sleep lost
      // that race on a loaded CI machine
      const iperf = link.spawn('b', 'iperf3', ['-s', '-1', '--forceflush', '-B', link.b.address]);
      await new Promise((r) => iperf.stdout?.once('data', r));
      const ip = await link.exec('a', 'iperf3', ['-c', link.b.address, '-t', '2', '-C', 'cubic', '-J']);
      const bps = (JSON.parse(ip.stdout) as { end: { sum_received: { bits_per_second: number } } }).end
        .sum_received.bits_per_second;
      expect(bps).toBeGreaterThan(2e6);
      expect(bps).toBeLessThan(22e6);
    } finally {
      await link.down();
    }
    expect(await leftovers(link.prefix)).toEqual([]);
  }, 30_000);

  it('teardown leaves nothing behind', async () => {
    expect(await leftovers(prefix)).not.toEqual([]);
    await lab?.down();
    lab = undefined;
    expect(await leftovers(prefix)).toEqual([]);
  }, 30_000);
});
