// The worlds people live in (issue 14): names through a lab resolver, IPv6 dual-stack behind a
// stateful firewall, several hosts or LANs behind one NAT, double NAT / CGNAT, UDP blocked, and a
// lossy long path. One lab serves the first describe; the impairment has its own.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPrerequisites, createLab, type Lab } from '../src/index.js';
import { leftovers } from './leftovers.js';

const pre = checkPrerequisites({
  root: true,
  commands: [
    'ip',
    'iptables',
    'ip6tables',
    'nft',
    'turnserver',
    'dnsmasq',
    'miniupnpd',
    'upnpc',
    'openssl',
    'getent',
    'gcc',
  ],
});
const probe = fileURLToPath(new URL('./stun-probe.mjs', import.meta.url));
const udpPing = fileURLToPath(new URL('./udp-ping.mjs', import.meta.url));
const punchPeer = fileURLToPath(new URL('./punch-peer.mjs', import.meta.url));
const node = process.execPath;

interface ProbeResult {
  local: number;
  results: { host: string; port: number; mapped: string | null }[];
}

async function stun(lab: Lab, host: string, requests: { host: string; port: number }[], localPort = 0) {
  const r = await lab.exec(host, node, [probe, JSON.stringify({ requests, localPort })]);
  return JSON.parse(r.stdout) as ProbeResult;
}

/** Runs punch-peer on two hosts at once; returns their verdicts ('ok' or 'none'). */
async function punch(lab: Lab, a: [string, string[]], b: [string, string[]]): Promise<string[]> {
  const [x, y] = await Promise.all([
    lab.exec(a[0], node, [punchPeer, ...a[1]]),
    lab.exec(b[0], node, [punchPeer, ...b[1]]),
  ]);
  return [x.stdout.trim(), y.stdout.trim()];
}

async function pings(lab: Lab, from: string, to: string, port: string, count: number, intervalMs = 50) {
  const out = await lab.exec(from, node, [udpPing, 'client', to, port, String(count), String(intervalMs)]);
  return JSON.parse(out.stdout) as number[];
}

async function startEcho(lab: Lab, host: string, port: string, address?: string): Promise<void> {
  const echo = lab.spawn(host, node, [udpPing, 'server', port, ...(address ? [address] : [])]);
  await new Promise((r) => echo.stdout?.once('data', r));
}

describe.skipIf(pre.skip)('natlab scenarios', () => {
  let lab: Lab;
  let prefix = '';

  beforeAll(async () => {
    lab = await createLab({
      ipv6: true,
      dns: { records: { 'peer.example': ['203.0.113.77', '2001:db8::77'] } },
      routers: [
        { nat: 'restricted', hosts: 2 }, // r1: h1, h1b on one LAN (dual-stack)
        { nat: 'restricted', lans: 2, hairpin: true }, // r2: h2 on lan0, h2b on lan1
        { nat: 'restricted', lans: 2 }, // r3: h3, h3b, no hairpin
        { nat: 'restricted', family: 'ipv6' }, // r4: h4, IPv6 only
        { nat: 'restricted', family: 'ipv4', blockUdp: true }, // r5: h5, UDP blocked
        { nat: 'restricted', family: 'ipv4', miniupnpd: true, behind: { nat: 'restricted' } }, // r6 behind c6
        { nat: 'restricted', behind: { nat: 'symmetric' } }, // r7 behind c7, dual-stack
      ],
    });
    prefix = lab.prefix;
  }, 120_000);

  afterAll(async () => {
    await lab?.down();
  }, 30_000);

  it('DNS: every host asks the lab resolver; default STUN names point at the lab server', async () => {
    expect(lab.dns?.addresses).toEqual(['203.0.113.10', '2001:db8::10']);
    const etc = `/etc/netns/${lab.hosts.h1?.netns}`;
    expect(readFileSync(`${etc}/resolv.conf`, 'utf8')).toMatch(
      /nameserver 203\.0\.113\.10\nnameserver 2001:db8::10/,
    );
    const [h1, h4, h5, peer] = await Promise.all([
      lab.exec('h1', 'getent', ['ahosts', 'stun.l.google.com']),
      lab.exec('h4', 'getent', ['ahosts', 'stun.cloudflare.com']),
      lab.exec('h5', 'getent', ['ahosts', 'stun.l.google.com']),
      lab.exec('h2b', 'getent', ['ahosts', 'peer.example']),
    ]);
    expect(h1.stdout).toContain('203.0.113.20');
    expect(h1.stdout).toContain('2001:db8::20');
    // IPv6-only host: AAAA only (glibc AI_ADDRCONFIG), asked over IPv6
    expect(h4.stdout).toContain('2001:db8::10');
    expect(h4.stdout).not.toContain('203.0.113.10');
    // UDP blocked, yet DNS to the network's resolver passes
    expect(h5.stdout).toContain('203.0.113.20');
    expect(peer.stdout).toContain('203.0.113.77');
    expect(peer.stdout).toContain('2001:db8::77');
    // Node's resolver (what p2pcat uses): dns.lookup, and an unknown name fails fast
    const js = await lab.exec('h1', node, [
      '-e',
      `const dns = require('node:dns');
       dns.lookup('stun.cloudflare.com', { all: true }, (e, a) => {
         dns.lookup('nope.invalid', (e2) => console.log(JSON.stringify({ a, e2: e2 && e2.code })));
       });`,
    ]);
    const res = JSON.parse(js.stdout) as { a: { address: string; family: number }[]; e2: string };
    expect(res.a.map((x) => x.address).sort()).toEqual(['2001:db8::10', '203.0.113.10']);
    expect(res.e2).toMatch(/ENOTFOUND|EAI_AGAIN|ESERVFAIL|EREFUSED/);
  });

  it('DNS: STUN binding by name to stun.l.google.com:19302 and stun.cloudflare.com:3478', async () => {
    const r = await stun(lab, 'h1', [
      { host: 'stun.l.google.com', port: 19302 },
      { host: 'stun.cloudflare.com', port: 3478 },
    ]);
    const wan = `${lab.routers[0]?.wanAddress}:${r.local}`;
    // endpoint-independent mapping: the same mapped address from both servers
    expect(r.results.map((x) => x.mapped)).toEqual([wan, wan]);
    expect(lab.coturn?.google).toEqual({
      addresses: ['203.0.113.20', '203.0.113.21', '2001:db8::20', '2001:db8::21'],
      port: 19302,
      altPort: 19303,
    });
    expect(lab.dns?.records['stun.l.google.com']).toEqual(['203.0.113.20', '2001:db8::20']);
  });

  it('IPv6: hosts reach the server over IPv6; IPv4-only and IPv6-only hosts have no route of the other family', async () => {
    await startEcho(lab, 'server', '7006', '2001:db8::10');
    const [h1, h4, h7] = await Promise.all([
      pings(lab, 'h1', '2001:db8::10', '7006', 3),
      pings(lab, 'h4', '2001:db8::10', '7006', 3),
      pings(lab, 'h7', '2001:db8::10', '7006', 3), // routed through its carrier
    ]);
    expect([h1.length, h4.length, h7.length]).toEqual([3, 3, 3]);
    expect(lab.hosts.h7?.address6).toBe('2001:db8:7::2');
    expect(lab.hosts.h1?.address6).toBe('2001:db8:1::2');
    expect(lab.hosts.h4?.address).toBe('2001:db8:4::2');
    const [v6of5, v6route5, v4of4, v4route4] = await Promise.all([
      lab.exec('h5', 'ip', ['-6', 'addr', 'show', 'scope', 'global']),
      lab.exec('h5', 'ip', ['-6', 'route', 'show', 'default']),
      lab.exec('h4', 'ip', ['-4', 'addr', 'show', 'scope', 'global']),
      lab.exec('h4', 'ip', ['-4', 'route']),
    ]);
    expect([v6of5.stdout, v6route5.stdout, v4of4.stdout, v4route4.stdout].map((s) => s.trim())).toEqual([
      '',
      '',
      '',
      '',
    ]);
    const v4from4 = await lab.exec('h4', node, [udpPing, 'client', '203.0.113.10', '7', '1'], {
      allowFailure: true,
    });
    expect(v4from4.stdout.trim() === '[]' || v4from4.code !== 0).toBe(true);
  });

  it('IPv6 firewall: unsolicited inbound UDP is dropped, answers to the host pass, two hosts punch through', async () => {
    // unsolicited: the server sends to h1 which only listens
    const unsolicited = await punch(
      lab,
      ['h1', ['5100', '-', '0', '1500', '2001:db8:1::2']],
      ['server', ['5101', '2001:db8:1::2', '5100', '1500', '2001:db8::10']],
    );
    expect(unsolicited).toEqual(['none', 'none']);
    // h1 sends first: the server's packets to it are answers now
    const solicited = await punch(
      lab,
      ['h1', ['5102', '2001:db8::10', '5103']],
      // bound to 2001:db8::10: unbound, the server could answer from its other address (::11)
      ['server', ['5103', '2001:db8:1::2', '5102', '1500', '2001:db8::10']],
    );
    expect(solicited).toEqual(['ok', 'ok']);
    // two firewalled hosts (r1, r2) open towards each other at once
    const peers = await punch(
      lab,
      ['h1', ['5104', '2001:db8:2::2', '5105']],
      ['h2', ['5105', '2001:db8:1::2', '5104']],
    );
    expect(peers).toEqual(['ok', 'ok']);
  });

  it('same NAT, one LAN: h1 and h1b share the mapped address and reach each other directly', async () => {
    const [a, b] = await Promise.all([
      stun(lab, 'h1', [{ host: '203.0.113.10', port: 3478 }]),
      stun(lab, 'h1b', [{ host: '203.0.113.10', port: 3478 }]),
    ]);
    expect(a.results[0]?.mapped?.split(':')[0]).toBe('203.0.113.101');
    expect(b.results[0]?.mapped?.split(':')[0]).toBe('203.0.113.101');
    expect(lab.hosts.h1b?.address).toBe('10.0.1.3');
    await startEcho(lab, 'h1b', '7001');
    expect((await pings(lab, 'h1', '10.0.1.3', '7001', 3)).length).toBe(3);
  });

  it('same NAT, two LANs: no direct route between them; hairpinning through the WAN address only where it is on', async () => {
    expect(lab.routers[1]?.lans.map((l) => l.subnet)).toEqual(['10.0.2.0/24', '10.0.12.0/24']);
    await startEcho(lab, 'h2', '7002');
    expect(await pings(lab, 'h2b', '10.0.2.2', '7002', 2)).toEqual([]);
    for (const [r, a, b, expected] of [
      [1, 'h2', 'h2b', 'ok'],
      [2, 'h3', 'h3b', 'none'],
    ] as const) {
      const wan = lab.routers[r]?.wanAddress ?? '';
      // mappings first (STUN from the ports the peers then use), then each sends to the other's mapping
      const [ma, mb] = await Promise.all([
        stun(lab, a, [{ host: '203.0.113.10', port: 3478 }], 5200),
        stun(lab, b, [{ host: '203.0.113.10', port: 3478 }], 5201),
      ]);
      expect([ma.results[0]?.mapped, mb.results[0]?.mapped]).toEqual([`${wan}:5200`, `${wan}:5201`]);
      const got = await punch(lab, [a, ['5200', wan, '5201']], [b, ['5201', wan, '5200']]);
      expect([r, ...got]).toEqual([r, expected, expected]);
    }
  });

  it('CGNAT: the home router WAN is 100.64.6.2, peers see the carrier address; UPnP reports 100.64.6.2', async () => {
    const r6 = lab.routers[5];
    expect([r6?.wanAddress, r6?.publicAddress, r6?.carrier?.lanSubnet]).toEqual([
      '100.64.6.2',
      '203.0.113.106',
      '100.64.6.0/24',
    ]);
    const s = await stun(lab, 'h6', [{ host: '203.0.113.10', port: 3478 }]);
    expect(s.results[0]?.mapped).toBe(`203.0.113.106:${s.local}`);
    const upnp = await lab.exec(
      'h6',
      'upnpc',
      ['-i', '-e', 'natlab', '-a', '10.0.6.2', '6100', '6100', 'UDP'],
      {
        timeoutMs: 15_000,
      },
    );
    expect(upnp.stdout).toMatch(/ExternalIPAddress = 100\.64\.6\.2/);
    expect(upnp.stdout).toMatch(/is redirected to internal 10\.0\.6\.2:6100/);
    // double NAT (restricted behind restricted) still lets two peers punch through
    const got = await punch(
      lab,
      ['h6', ['5300', lab.routers[0]?.wanAddress ?? '', '5301']],
      ['h1', ['5301', '203.0.113.106', '5300']],
    );
    expect(got).toEqual(['ok', 'ok']);
  }, 30_000);

  it('CGNAT with a symmetric carrier: the mapping changes with the destination', async () => {
    const s = await stun(lab, 'h7', [
      { host: '203.0.113.10', port: 3478 },
      { host: '203.0.113.11', port: 3478 },
    ]);
    const [a, b] = s.results.map((x) => x.mapped);
    expect(a?.startsWith('203.0.113.107:')).toBe(true);
    expect(b?.startsWith('203.0.113.107:')).toBe(true);
    expect(a).not.toBe(b);
  });

  it('UDP blocked: STUN over UDP fails, TURN over TCP 443 and TLS 443 work', async () => {
    expect(lab.coturn?.tcpTlsPort).toBe(443);
    const s = await stun(lab, 'h5', [{ host: '203.0.113.10', port: 3478 }]);
    expect(s.results[0]?.mapped).toBeNull();
    const [tcp, tls, tcp3478] = await Promise.all([
      lab.exec(
        'h5',
        'turnutils_uclient',
        ['-t', '-p', '443', '-u', 'user', '-w', 'pass', '-n', '1', '-m', '1', '-y', '203.0.113.10'],
        {
          timeoutMs: 20_000,
        },
      ),
      lab.exec(
        'h5',
        'turnutils_uclient',
        ['-t', '-S', '-p', '443', '-u', 'user', '-w', 'pass', '-n', '1', '-m', '1', '-y', '203.0.113.10'],
        {
          timeoutMs: 20_000,
        },
      ),
      lab.exec('h5', node, [
        '-e',
        `const s = require('node:net').connect(3478, '203.0.113.10', () => { console.log('open'); process.exit(0); });
           s.on('error', () => {}); setTimeout(() => { console.log('blocked'); process.exit(0); }, 1500);`,
      ]),
    ]);
    expect(tcp.stdout).toMatch(/Total lost packets 0/);
    expect(tls.stdout).toMatch(/Total lost packets 0/);
    expect(tcp3478.stdout.trim()).toBe('blocked');
  }, 40_000);

  it('teardown removes everything, /etc/netns files included', async () => {
    const etc = `/etc/netns/${lab.hosts.h1?.netns}`;
    expect(existsSync(etc)).toBe(true);
    await lab.down();
    expect(existsSync(etc)).toBe(false);
    expect(await leftovers(prefix)).toEqual([]);
  }, 30_000);
});

describe.skipIf(pre.skip)('natlab lossy long path', () => {
  it('delayMs 75 and lossPercent 5 per router: 150 ms RTT to the server, 300 ms host to host, loss per crossing', async () => {
    const lab = await createLab({
      routers: [{ nat: 'none' }, { nat: 'none' }],
      coturn: false,
      impairment: { delayMs: 75, lossPercent: 5 },
    });
    try {
      await Promise.all([startEcho(lab, 'server', '7100', '203.0.113.10'), startEcho(lab, 'h2', '7101')]);
      const count = 200;
      const [toServer, toPeer] = await Promise.all([
        pings(lab, 'h1', '203.0.113.10', '7100', count, 20),
        pings(lab, 'h1', lab.hosts.h2?.address ?? '', '7101', count, 20),
      ]);
      // round trip crosses one impaired router twice (server) or two routers twice (peer)
      expect(Math.min(...toServer)).toBeGreaterThanOrEqual(150);
      expect(Math.min(...toServer)).toBeLessThan(250);
      expect(Math.min(...toPeer)).toBeGreaterThanOrEqual(300);
      expect(Math.min(...toPeer)).toBeLessThan(400);
      // expected round-trip loss: 1 - 0.95^2 = 9.75 % (server), 1 - 0.95^4 = 18.5 % (peer)
      const lossServer = 1 - toServer.length / count;
      const lossPeer = 1 - toPeer.length / count;
      expect(lossServer).toBeGreaterThan(0.02);
      expect(lossServer).toBeLessThan(0.2);
      expect(lossPeer).toBeGreaterThan(0.08);
      expect(lossPeer).toBeLessThan(0.32);
      console.log(
        `lossy path: RTT min ${Math.min(...toServer).toFixed(1)} / ${Math.min(...toPeer).toFixed(1)} ms, round-trip loss ${(lossServer * 100).toFixed(1)} % / ${(lossPeer * 100).toFixed(1)} %`,
      );
    } finally {
      await lab.down();
    }
  }, 60_000);
});
