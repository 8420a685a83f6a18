// RFC 8656 §9: coturn relays a peer's datagram to us only with a permission for the peer's IP.
// connectWithServers installs it (with a channel, §12) as soon as a pair with our relayed
// candidate forms: a peer sending to our relayed address right after pairing gets through before
// we ever sent a check from that relayed address.
import { createSocket } from 'node:dgram';
import { checkPrerequisites, startCoturn } from '@p2pcat/natlab';
import type { TransportAddress } from '@p2pcat/stun';
import { describe, expect, it } from 'vitest';
import { connectWithServers } from '../src/index.js';

const pre = checkPrerequisites({ commands: ['turnserver'] });

describe.skipIf(pre.skip)('TURN permission at pairing time (coturn on loopback)', () => {
  it('a peer reaches our relayed address before our first check from it', { timeout: 30_000 }, async () => {
    const coturn = await startCoturn({ users: { u: 'p' }, tls: false });
    const conn = await connectWithServers({
      role: 'controlling',
      turn: [`turn:u:p@127.0.0.1:${coturn.port}`],
      includeLoopback: true,
      ipv6: false,
      portMapping: false,
      excludeInterfaces: [/^(?!lo$).*/],
      // The host pair takes the first check; the relayed pair's would only come 10 s later.
      timing: { ta: 10_000 },
    });
    const peer = createSocket('udp4');
    try {
      await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
      const gathered = await conn.gathered;
      const relay = gathered.find((c) => c.type === 'relay');
      expect(relay, JSON.stringify(conn.gathering.failures)).toBeDefined();
      const relayed: TransportAddress = { family: 'IPv4', address: relay!.address, port: relay!.port };
      const turn = conn.gathering.relayBases[0]!.turn;
      // What reaches the peer from our relayed address (a check would, through coturn).
      const fromRelayed: number[] = [];
      peer.on('message', (_m, rinfo) => {
        if (rinfo.port === relayed.port) fromRelayed.push(Date.now());
      });
      const arrived = new Promise<number>((resolve) =>
        turn.on('message', (data: Uint8Array, from: TransportAddress) => {
          if (from.port === peer.address().port && new TextDecoder().decode(data) === 'early')
            resolve(Date.now());
        }),
      );
      conn.ice.setRemoteDescription({
        ufrag: 'peerufrag',
        pwd: 'peerpasswordpeerpassword',
        candidates: [`candidate:1 1 udp 2130706431 127.0.0.1 ${peer.address().port} typ host`],
        endOfCandidates: true,
      });
      // The peer sends at once and keeps sending until it is heard.
      const early = new TextEncoder().encode('early');
      const timer = setInterval(() => peer.send(early, relayed.port, relayed.address), 50);
      peer.send(early, relayed.port, relayed.address);
      const at = await Promise.race([
        arrived,
        new Promise<number>((_, reject) => setTimeout(() => reject(new Error('never relayed')), 5000)),
      ]).finally(() => clearInterval(timer));
      expect(at).toBeGreaterThan(0);
      expect(fromRelayed).toEqual([]); // we had not sent anything from the relayed address
    } finally {
      peer.close();
      await conn.close();
      await coturn.stop();
    }
  });
});
