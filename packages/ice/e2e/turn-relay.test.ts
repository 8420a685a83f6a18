import { checkPrerequisites, startCoturn } from '@p2pcat/natlab';
import type { TransportAddress } from '@p2pcat/stun';
import { TurnSocket } from '@p2pcat/turn';
import { describe, expect, it } from 'vitest';
import { IceConnection } from '../src/index.js';

const pre = checkPrerequisites({ commands: ['turnserver'] });

async function withRelay(conn: IceConnection, server: TransportAddress, username: string, password: string) {
  await conn.gather();
  const base = conn.agent.getLocalCandidates()[0]?.address;
  if (!base) throw new Error('no base');
  const turn = new TurnSocket({
    server,
    username,
    password,
    transport: { send: (data, dest) => conn.sendFromBase(base, data, dest) },
  });
  conn.addInterceptor((data, from, at) => at.port === base.port && turn.handleDatagram(data, from));
  await turn.allocate();
  conn.addRelay(turn, server);
  return turn;
}

describe.skipIf(pre.skip)('relayed candidates through the turn package (coturn on loopback)', () => {
  it('relay pairs validate; TURN shares the host socket', { timeout: 30_000 }, async () => {
    const coturn = await startCoturn({ users: { u: 'p' } });
    const server = {
      family: 'IPv4' as const,
      address: coturn.addresses[0] ?? '127.0.0.1',
      port: coturn.port,
    };
    const a = new IceConnection({ role: 'controlling', host: { addresses: ['127.0.0.1'] } });
    const b = new IceConnection({ role: 'controlled', host: { addresses: ['127.0.0.1'] } });
    try {
      const [ta, tb] = await Promise.all([withRelay(a, server, 'u', 'p'), withRelay(b, server, 'u', 'p')]);
      // Only relayed candidates are signalled: the path must go through coturn.
      const relayOnly = (d: ReturnType<IceConnection['localDescription']>) => ({
        ...d,
        candidates: d.candidates.filter((c) => c.includes('typ relay')),
      });
      const da = relayOnly(a.localDescription());
      const db = relayOnly(b.localDescription());
      expect(da.candidates.some((c) => c.includes('typ relay'))).toBe(true);
      a.setRemoteDescription(db);
      b.setRemoteDescription(da);
      const [xa, xb] = await Promise.all([a.connect(), b.connect()]);
      const got = new Promise<string>((r) => xb.onMessage((d) => r(new TextDecoder().decode(d))));
      xa.send(new TextEncoder().encode('via-relay'));
      expect(await got).toBe('via-relay');
      void xb;
      const relayValid = a.agent
        .getPairs()
        .filter((p) => p.valid && (p.local.type === 'relay' || p.remote.type === 'relay'));
      expect(
        relayValid.length,
        JSON.stringify(a.agent.getPairs().map((p) => [p.local.type, p.remote.type, p.state])),
      ).toBeGreaterThan(0);
      await Promise.all([ta.close(), tb.close()]);
    } finally {
      a.close();
      b.close();
      await coturn.stop();
    }
  });
});
