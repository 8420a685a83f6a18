// connectWithServers on loopback without servers: the gatherer's candidates (and their
// priorities) reach the agent, two such connections connect, and close() releases everything.
import { afterEach, describe, expect, it } from 'vitest';
import { connectWithServers, type ServerIceConnection, turnServerUrl } from './server-connection.js';

const open: ServerIceConnection[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

async function loopback(role: 'controlling' | 'controlled'): Promise<ServerIceConnection> {
  const c = await connectWithServers({
    role,
    includeLoopback: true,
    ipv6: false,
    portMapping: false,
    gatherTimeout: 1000,
    // Only the loopback adapter: the machine's other addresses would make pairs that fail slowly.
    excludeInterfaces: [/^(?!lo$).*/],
  });
  open.push(c);
  return c;
}

describe('connectWithServers', () => {
  it('puts every gathered candidate into the agent with the gatherer’s priority and foundation order', async () => {
    const c = await loopback('controlling');
    const gathered = await c.gathered;
    expect(gathered.length).toBeGreaterThan(0);
    const local = c.ice.agent.getLocalCandidates();
    expect(local.map((x) => [x.type, x.address.address, x.address.port, x.priority])).toEqual(
      gathered.map((g) => [g.type, g.address, g.port, g.priority]),
    );
    expect(c.ice.localDescription().candidates).toHaveLength(gathered.length);
  });

  it('two connections connect over the shared host sockets and carry data', async () => {
    const a = await loopback('controlling');
    const b = await loopback('controlled');
    await Promise.all([a.gathered, b.gathered]);
    a.ice.setRemoteDescription({ ...b.ice.localDescription(), endOfCandidates: true });
    b.ice.setRemoteDescription({ ...a.ice.localDescription(), endOfCandidates: true });
    const [ta, tb] = await Promise.all([a.ice.connect(), b.ice.connect()]);
    const got = new Promise<string>((r) => tb.onMessage((d) => r(new TextDecoder().decode(d))));
    ta.send(new TextEncoder().encode('over shared sockets'));
    expect(await got).toBe('over shared sockets');
  });

  it('close(): gathering released (host sockets closed), ICE closed; sends after it are dropped', async () => {
    const c = await loopback('controlling');
    await c.gathered;
    const base = c.ice.agent.getLocalCandidates()[0]!.address;
    const socket = c.gathering.hostBases[0]!.socket;
    await c.close();
    expect(c.ice.state).toBe('closed');
    expect(c.gathering.hostBases).toHaveLength(0);
    expect(() => socket.address()).toThrow(); // closed
    expect(() =>
      c.ice.sendFromBase(base, new Uint8Array(1), { family: 'IPv4', address: '127.0.0.1', port: 9 }),
    ).not.toThrow();
  });

  it('closing the ICE connection (its transport) releases the gathering too', async () => {
    const c = await loopback('controlling');
    await c.gathered;
    c.ice.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(c.gathering.hostBases).toHaveLength(0);
  });

  it('a port-0 destination is a warning once, never a throw', async () => {
    const c = await loopback('controlling');
    await c.gathered;
    const warnings: string[] = [];
    c.ice.on('warning', (e: Error) => warnings.push(e.message));
    const base = c.ice.agent.getLocalCandidates()[0]!.address;
    for (let i = 0; i < 3; i++)
      expect(() =>
        c.ice.sendFromBase(base, new Uint8Array(1), { family: 'IPv4', address: '127.0.0.1', port: 0 }),
      ).not.toThrow();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/a datagram was not sent/);
  });

  it('TURN server objects become URLs with percent-encoded user info', () => {
    expect(turnServerUrl({ url: 'turn:relay.example:3478', username: 'u@x', credential: 'p:w' })).toBe(
      'turn:u%40x:p%3Aw@relay.example:3478',
    );
    expect(turnServerUrl({ url: 'TURNS:relay.example:5349', username: 'u', credential: 'p' })).toBe(
      'turns:u:p@relay.example:5349',
    );
    expect(turnServerUrl('turn:u:p@h:1')).toBe('turn:u:p@h:1');
    expect(() => turnServerUrl({ url: 'stun:h:1', username: 'u', credential: 'p' })).toThrow(
      /turn: or turns:/,
    );
    expect(() => turnServerUrl({ url: 'stun:h:1', username: 'u', credential: 'p' })).toThrow(
      expect.objectContaining({ name: 'IceError', code: 'bad-url' }),
    );
  });

  it('an aborted signal rejects with an AbortError keeping the reason', async () => {
    const reason = new Error('user gave up');
    const error = await connectWithServers({ signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError', cause: reason });
  });

  it('an abort after it resolved stops gathering: gathered resolves with what was found', async () => {
    const controller = new AbortController();
    const c = await connectWithServers({
      includeLoopback: true,
      ipv6: false,
      portMapping: false,
      // A STUN server that never answers: gathering would last gatherTimeout without the abort.
      stun: ['127.0.0.1:9'],
      gatherTimeout: 20_000,
      excludeInterfaces: [/^(?!lo$).*/],
      signal: controller.signal,
    });
    open.push(c);
    const started = performance.now();
    setTimeout(() => controller.abort(), 50);
    const gathered = await c.gathered;
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(gathered.some((x) => x.type === 'host')).toBe(true);
  });
});
