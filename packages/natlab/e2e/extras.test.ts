// startCoturn on loopback, lab-wide impairment, and the lab running a given STUN server command.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkPrerequisites, createLab, startCoturn } from '../src/index.js';
import { run } from '../src/sh.js';

const pre = checkPrerequisites({
  root: true,
  commands: ['ip', 'iptables', 'nft', 'turnserver', 'gcc', 'openssl'],
});
const udpPing = fileURLToPath(new URL('./udp-ping.mjs', import.meta.url));
const punchPeer = fileURLToPath(new URL('./punch-peer.mjs', import.meta.url));

describe.skipIf(pre.skip)('natlab extras', () => {
  it('startCoturn on loopback answers STUN with RFC 5780 attributes and relays for its user', async () => {
    const t = await startCoturn({ users: { bob: 'builder' }, staticAuthSecret: 's3', realm: 'loop.test' });
    try {
      expect(t.addresses).toEqual(['127.0.0.1', '127.0.0.2']);
      expect(t.certificatePem).toMatch(/BEGIN CERTIFICATE/);
      const stun = await run('turnutils_stunclient', ['-p', String(t.port), '127.0.0.1'], {
        allowFailure: true,
      });
      expect(stun.stdout).toMatch(new RegExp(`Other addr: : 127\\.0\\.0\\.2:${t.altPort}`));
      const [lt, rest] = await Promise.all([
        run('turnutils_uclient', [
          '-p',
          String(t.port),
          '-u',
          'bob',
          '-w',
          'builder',
          '-n',
          '1',
          '-m',
          '1',
          '-y',
          '127.0.0.1',
        ]),
        run('turnutils_uclient', [
          '-p',
          String(t.restPort),
          '-W',
          's3',
          '-n',
          '1',
          '-m',
          '1',
          '-y',
          '127.0.0.1',
        ]),
      ]);
      expect(lt.stdout).toMatch(/Total lost packets 0/);
      expect(rest.stdout).toMatch(/Total lost packets 0/);
    } finally {
      await t.stop();
    }
    expect(t.process.exitCode !== null || t.process.signalCode !== null).toBe(true);
  }, 30_000);

  it('a lab with router impairment and our own server command', async () => {
    const lab = await createLab({
      routers: [{ nat: 'restricted' }],
      coturn: false,
      impairment: { delayMs: 10 },
      stunServer: { command: process.execPath, args: [udpPing, 'server', '3480', '{alternate}'] },
    });
    try {
      const out = await lab.exec('h1', process.execPath, [udpPing, 'client', '203.0.113.11', '3480', '6']);
      const rtts = JSON.parse(out.stdout) as number[];
      expect(rtts.length).toBe(6);
      // Minimum of the pings: strict below (the delay is held for every packet), generous above
      // (a loaded CI machine only adds time).
      const min = Math.min(...rtts);
      expect(min).toBeGreaterThanOrEqual(20);
      expect(min).toBeLessThan(70);
    } finally {
      await lab.down();
    }
  }, 30_000);

  it('lab WAN impairment: LAN host to server RTT is 2 x delayMs, LAN host to LAN host 4 x delayMs', async () => {
    // Each impaired router holds packets on arrival on both its interfaces, so each router crossed
    // adds delayMs each way: one router between a LAN host and the server, two between two LAN hosts.
    const delayMs = 15;
    const lab = await createLab({
      routers: [{ nat: 'none' }, { nat: 'none' }],
      coturn: false,
      impairment: { delayMs },
      stunServer: { command: process.execPath, args: [udpPing, 'server', '3480', '{primary}'] },
    });
    try {
      const echo = lab.spawn('h2', process.execPath, [udpPing, 'server', '3481']);
      await new Promise((r) => echo.stdout?.once('data', r));
      const minRtt = async (host: string, port: string): Promise<number> => {
        const out = await lab.exec('h1', process.execPath, [udpPing, 'client', host, port, '8']);
        const rtts = JSON.parse(out.stdout) as number[];
        expect(rtts.length).toBe(8);
        return Math.min(...rtts);
      };
      const toServer = await minRtt(lab.server.address, '3480');
      const toPeer = await minRtt(lab.hosts.h2?.address ?? '', '3481');
      expect(toServer).toBeGreaterThanOrEqual(2 * delayMs);
      // strict below (every packet is held), generous above (a loaded CI machine only adds time)
      expect(toServer).toBeLessThan(4 * delayMs + 20);
      expect(toPeer).toBeGreaterThanOrEqual(4 * delayMs);
      expect(toPeer).toBeLessThan(8 * delayMs + 20);
    } finally {
      await lab.down();
    }
  }, 30_000);

  it('UDP hole punching works between two port-restricted NATs and fails between two symmetric ones', async () => {
    for (const [nat, expected] of [
      ['restricted', 'ok'],
      ['symmetric', 'none'],
    ] as const) {
      const lab = await createLab({ routers: [{ nat }, { nat }], coturn: false });
      try {
        const [r1, r2] = lab.routers;
        const [a, b] = await Promise.all([
          lab.exec('h1', process.execPath, [punchPeer, '5000', r2?.wanAddress ?? '', '5000']),
          lab.exec('h2', process.execPath, [punchPeer, '5000', r1?.wanAddress ?? '', '5000']),
        ]);
        expect([nat, a.stdout.trim(), b.stdout.trim()]).toEqual([nat, expected, expected]);
      } finally {
        await lab.down();
      }
    }
  }, 30_000);
});
