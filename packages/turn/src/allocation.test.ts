import { decodeStunMessage, StunMessageBuilder, StunMethod, type TransportAddress } from '@p2pcat/stun';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALTERNATE,
  CLIENT_REFLEXIVE,
  type FakeServerOptions,
  FakeTurnServer,
  LossySimulation,
  RELAYED,
  SERVER,
  Simulation,
} from '../test/fake-server.js';
import { TurnAllocation, type TurnAllocationOptions, type TurnEvent } from './allocation.js';

const PEER: TransportAddress = { family: 'IPv4', address: '203.0.113.5', port: 6000 };
const STRANGER: TransportAddress = { family: 'IPv4', address: '203.0.113.99', port: 6000 };

let seed = 1;
function seededBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = seed >>> 24;
  }
  return out;
}

function setup(
  server: FakeServerOptions = {},
  client: Partial<TurnAllocationOptions> = {},
  extra: FakeTurnServer[] = [],
) {
  const s = new FakeTurnServer(server);
  const a = new TurnAllocation({
    server: SERVER,
    username: server.username ?? 'user',
    password: server.password ?? 'pass',
    deadline: 3_600_000,
    randomBytes: seededBytes,
    ...client,
  });
  const sim = new Simulation(a, [s, ...extra]);
  return { s, a, sim };
}

function allocated(events: (TurnEvent | undefined)[]) {
  return events.find((e) => e?.type === 'allocated');
}

describe('TurnAllocation: Allocate with long-term credentials', () => {
  it('sends an unauthenticated Allocate, answers the 401 challenge and reports both addresses', () => {
    const { s, a, sim } = setup();
    a.allocate(0);
    sim.runUntil(0);
    expect(a.state).toBe('allocated');
    expect(s.requests).toHaveLength(2);
    const [first, second] = s.requests;
    expect(first!.message.has('MESSAGE_INTEGRITY')).toBe(false);
    expect(first!.message.get('REQUESTED_TRANSPORT')).toBe(17);
    expect(second!.message.get('USERNAME')).toBe('user');
    expect(second!.message.get('REALM')).toBe('example.org');
    expect(second!.message.get('NONCE')).toBe('nonce-1');
    expect(second!.message.has('MESSAGE_INTEGRITY')).toBe(true);
    const e = allocated(sim.events());
    expect(e).toEqual({
      type: 'allocated',
      relayedAddress: RELAYED,
      mappedAddress: CLIENT_REFLEXIVE,
      lifetime: 600,
    });
    expect(a.relayedAddress).toEqual(RELAYED);
    expect(a.mappedAddress).toEqual(CLIENT_REFLEXIVE);
  });

  it('puts LIFETIME, DONT-FRAGMENT and REQUESTED-ADDRESS-FAMILY into the Allocate', () => {
    const { s, a, sim } = setup({}, { lifetime: 300, dontFragment: true, requestedAddressFamily: 'IPv6' });
    a.allocate(0);
    sim.runUntil(0);
    const m = s.requests[0]!.message;
    expect(m.get('LIFETIME')).toBe(300);
    expect(m.has('DONT_FRAGMENT')).toBe(true);
    expect(m.get('REQUESTED_ADDRESS_FAMILY')).toBe('IPv6');
  });

  it('reports a wrong password as the one-line 401 error and stops', () => {
    const { s, a, sim } = setup({ password: 'right' }, { password: 'wrong' });
    a.allocate(0);
    sim.runUntil(100_000);
    const failed = sim.events().find((e) => e?.type === 'failed');
    expect(failed?.type === 'failed' && failed.error.message).toBe(
      'TURN server refused the credentials (401)',
    );
    expect(failed?.type === 'failed' && failed.error.code).toBe('unauthorized');
    expect(s.requests).toHaveLength(2);
    expect(a.pollTimeout()).toBeUndefined();
  });

  it('fails with a typed error, never a throw, on a REALM or a password that OpaqueString refuses', () => {
    const hostile = setup({ realm: 'evil\u0000realm' });
    hostile.a.allocate(0);
    expect(() => hostile.sim.runUntil(100_000)).not.toThrow();
    const f1 = hostile.sim.events().find((e) => e?.type === 'failed');
    expect(f1?.type === 'failed' && f1.error.code).toBe('protocol');
    expect(f1?.type === 'failed' && f1.error.message).toMatch(/REALM .*U\+0000/);
    expect(hostile.s.requests).toHaveLength(1);

    const badPassword = setup({}, { password: 'pa\tss' });
    badPassword.a.allocate(0);
    badPassword.sim.runUntil(100_000);
    const f2 = badPassword.sim.events().find((e) => e?.type === 'failed');
    expect(f2?.type === 'failed' && f2.error.code).toBe('invalid-credentials');
    expect(f2?.type === 'failed' && f2.error.message).toMatch(/password holds U\+0009/);
    expect(badPassword.a.pollTimeout()).toBeUndefined();
  });

  it('retries a 438 Stale Nonce with the new nonce', () => {
    const { s, a, sim } = setup({ staleNonces: 1 });
    a.allocate(0);
    sim.runUntil(0);
    expect(a.state).toBe('allocated');
    expect(s.requests.map((r) => r.message.get('NONCE'))).toEqual([undefined, 'nonce-1', 'nonce-2']);
  });

  it('gives up on a server that keeps answering 438', () => {
    const { a, sim } = setup({ staleNonces: 100 });
    a.allocate(0);
    sim.runUntil(0);
    const failed = sim.events().find((e) => e?.type === 'failed');
    expect(failed?.type === 'failed' && failed.error.code).toBe('stale-nonce-loop');
  });

  it('follows 300 Try Alternate once, to the alternate server', () => {
    const alt = new FakeTurnServer({ address: ALTERNATE });
    const { s, a, sim } = setup({ redirectTo: ALTERNATE }, {}, [alt]);
    a.allocate(0);
    sim.runUntil(0);
    const events = sim.events();
    expect(events[0]).toEqual({ type: 'redirected', server: ALTERNATE });
    expect(a.state).toBe('allocated');
    expect(a.server).toEqual(ALTERNATE);
    expect(s.requests).toHaveLength(1);
    expect(alt.requests).toHaveLength(2);
  });

  it('does not follow a second redirect', () => {
    const alt = new FakeTurnServer({ address: ALTERNATE, redirectTo: SERVER });
    const { a, sim } = setup({ redirectTo: ALTERNATE }, {}, [alt]);
    a.allocate(0);
    sim.runUntil(0);
    const failed = sim.events().find((e) => e?.type === 'failed');
    expect(failed?.type === 'failed' && failed.error.code).toBe('redirect-loop');
  });

  it('uses SHA-256, USERHASH and MESSAGE-INTEGRITY-SHA256 when the nonce cookie offers them (RFC 8489 §9.2)', () => {
    const { s, a, sim } = setup({ securityFeatures: true });
    a.allocate(0);
    sim.runUntil(0);
    expect(a.state).toBe('allocated');
    const m = s.requests[1]!.message;
    expect(m.has('USERNAME')).toBe(false);
    expect(m.has('USERHASH')).toBe(true);
    expect(m.get('PASSWORD_ALGORITHM')?.algorithm).toBe(2);
    expect(m.getAll('PASSWORD_ALGORITHMS')[0]?.map((x) => x.algorithm)).toEqual([2, 1]);
    expect(m.has('MESSAGE_INTEGRITY_SHA256')).toBe(true);
  });

  it.each([
    [403, 'forbidden'],
    [437, 'allocation-mismatch'],
    [440, 'address-family-not-supported'],
    [441, 'wrong-credentials'],
    [442, 'unsupported-transport'],
    [486, 'allocation-quota-reached'],
    [508, 'insufficient-capacity'],
  ])('maps Allocate error %i to a typed one-line error', (code, name) => {
    const { a, sim } = setup({ errorFor: { [StunMethod.Allocate]: code } });
    a.allocate(0);
    sim.runUntil(0);
    const failed = sim.events().find((e) => e?.type === 'failed');
    expect(failed?.type).toBe('failed');
    if (failed?.type !== 'failed') return;
    expect(failed.error.code).toBe(name);
    expect(failed.error.status).toBe(code);
    expect(failed.error.message).toContain(`(${code}`);
    expect(failed.error.message).not.toContain('\n');
  });
});

describe('TurnAllocation: refresh schedule (simulated clock)', () => {
  it('refreshes a minute before the lifetime ends, again and again', () => {
    const { s, a, sim } = setup();
    a.allocate(0);
    sim.runUntil(539_999);
    expect(s.count(StunMethod.Refresh)).toBe(0);
    sim.runUntil(540_000);
    expect(s.count(StunMethod.Refresh)).toBe(1);
    sim.runUntil(1_080_000);
    expect(s.count(StunMethod.Refresh)).toBe(2);
    expect(a.state).toBe('allocated');
  });

  it('refreshes halfway through a short lifetime granted by the server', () => {
    const { s, a, sim } = setup({ lifetime: 60 });
    a.allocate(0);
    sim.runUntil(29_999);
    expect(s.count(StunMethod.Refresh)).toBe(0);
    sim.runUntil(30_000);
    expect(s.count(StunMethod.Refresh)).toBe(1);
  });

  it('close sends Refresh LIFETIME 0 and reports closed', () => {
    const { s, a, sim } = setup();
    a.allocate(0);
    sim.runUntil(0);
    sim.events();
    a.close(10);
    sim.runUntil(10);
    expect(s.deleted).toBe(true);
    expect(s.requests.at(-1)!.message.get('LIFETIME')).toBe(0);
    expect(sim.events()).toEqual([{ type: 'closed' }]);
    expect(a.state).toBe('closed');
    expect(a.pollTimeout()).toBeUndefined();
  });

  it('close while allocating deletes the allocation the server made meanwhile', () => {
    const { s, a, sim } = setup();
    a.allocate(0);
    // deliver the 401 and send the authenticated Allocate, then close before its answer is processed
    const first = a.pollTransmit()!;
    for (const r of s.handle(first.data, 0)) a.handleInput(r, SERVER, 0);
    const second = a.pollTransmit()!;
    a.close(1);
    for (const r of s.handle(second.data, 2)) a.handleInput(r, SERVER, 2);
    sim.runUntil(3);
    expect(s.deleted).toBe(true);
    expect(sim.events()).toEqual([{ type: 'closed' }]);
    expect(a.state).toBe('closed');
  });

  it('reports 437 after a server restart once, and stops', () => {
    const { s, a, sim } = setup();
    a.allocate(0);
    sim.runUntil(0);
    sim.events();
    s.lostAllocation = true;
    sim.runUntil(2_000_000);
    const events = sim.events();
    expect(events.filter((e) => e?.type === 'failed')).toHaveLength(1);
    const failed = events.find((e) => e?.type === 'failed');
    expect(failed?.type === 'failed' && failed.error.code).toBe('allocation-mismatch');
    expect(s.count(StunMethod.Refresh)).toBe(1);
    expect(a.pollTimeout()).toBeUndefined();
  });

  it('detects a server that stops answering within the deadline', () => {
    const { s, a, sim } = setup({}, { deadline: 10_000 });
    a.allocate(0);
    sim.runUntil(0);
    sim.events();
    s.silent = true;
    sim.runUntil(60_000);
    const failed = sim.events().find((e) => e?.type === 'failed');
    expect(failed?.type === 'failed' && failed.error.code).toBe('server-unreachable');
    // silence starts at 0: a probe at 5 s, given up at 10 s
    expect(sim.now).toBeGreaterThanOrEqual(10_000);
    expect(a.state).toBe('failed');
  });

  it('times out an Allocate to a dead server within the deadline', () => {
    const { s, a, sim } = setup({}, { deadline: 8_000 });
    s.silent = true;
    a.allocate(0);
    let failedAt = -1;
    for (let t = 0; t <= 20_000 && failedAt < 0; t += 100) {
      sim.runUntil(t);
      if (sim.events().some((e) => e?.type === 'failed')) failedAt = t;
    }
    expect(failedAt).toBeGreaterThan(0);
    expect(failedAt).toBeLessThanOrEqual(8_000);
  });
});

describe('TurnAllocation: permissions, channels, data', () => {
  it('sends Send indications until the channel is bound, then ChannelData', () => {
    const { s, a, sim } = setup();
    a.allocate(0);
    sim.runUntil(0);
    // queue-then-flush: permission and channel requests go out together with the first send
    a.send(new Uint8Array([1]), PEER, 1);
    const first = a.pollTransmit();
    expect(first && decodeStunMessage(first.data).method).toBe(StunMethod.CreatePermission);
    const second = a.pollTransmit();
    expect(second && decodeStunMessage(second.data).method).toBe(StunMethod.ChannelBind);
    // deliver the permission only: the queued datagram leaves as a Send indication
    for (const r of s.handle(first!.data, 1)) a.handleInput(r, SERVER, 1);
    const third = a.pollTransmit();
    const sendInd = third && decodeStunMessage(third.data);
    expect(sendInd?.class).toBe('indication');
    expect(sendInd?.method).toBe(StunMethod.Send);
    expect(sendInd?.get('XOR_PEER_ADDRESS')).toEqual(PEER);
    expect(sendInd?.get('DATA')).toEqual(new Uint8Array([1]));
    a.send(new Uint8Array([2]), PEER, 2);
    expect(decodeStunMessage(a.pollTransmit()!.data).method).toBe(StunMethod.Send);
    for (const r of s.handle(second!.data, 2)) a.handleInput(r, SERVER, 2);
    a.send(new Uint8Array([3]), PEER, 3);
    const cd = a.pollTransmit()!;
    expect(cd.data[0]).toBe(0x40);
    expect([...cd.data]).toEqual([0x40, 0x00, 0x00, 0x01, 3]);
    const events = sim.events();
    expect(events.some((e) => e?.type === 'permission')).toBe(true);
    expect(events.some((e) => e?.type === 'channel' && e.channel === 0x4000)).toBe(true);
  });

  it('pads ChannelData over a stream transport', () => {
    const { a, sim } = setup({}, { transport: 'tcp' });
    a.allocate(0);
    sim.runUntil(0);
    a.send(new Uint8Array([9]), PEER, 1);
    sim.runUntil(1);
    a.send(new Uint8Array([7]), PEER, 2);
    const t = a.pollTransmit()!;
    expect([...t.data]).toEqual([0x40, 0x00, 0x00, 0x01, 7, 0, 0, 0]);
  });

  it('delivers Data indications and ChannelData only from peers with a permission', () => {
    const { s, a, sim } = setup();
    a.allocate(0);
    sim.runUntil(0);
    a.bindChannel(PEER, 1);
    sim.runUntil(1);
    sim.events();
    expect(a.handleInput(s.dataIndication(PEER, new Uint8Array([5])), SERVER, 2)).toBe(true);
    expect(a.handleInput(s.channelDataFrom(PEER, new Uint8Array([6])), SERVER, 2)).toBe(true);
    expect(a.handleInput(s.dataIndication(STRANGER, new Uint8Array([7])), SERVER, 2)).toBe(true);
    const data = sim.events().filter((e) => e?.type === 'data');
    expect(data).toEqual([
      { type: 'data', data: new Uint8Array([5]), peer: PEER, channel: undefined },
      { type: 'data', data: new Uint8Array([6]), peer: PEER, channel: 0x4000 },
    ]);
    expect(a.stats.noPermission).toBe(1);
  });

  it('refreshes permissions every 4 minutes and channels every 8 minutes', () => {
    const { s, a, sim } = setup();
    a.allocate(0);
    sim.runUntil(0);
    a.send(new Uint8Array([1]), PEER, 0);
    sim.runUntil(0);
    expect(s.count(StunMethod.CreatePermission)).toBe(1);
    expect(s.count(StunMethod.ChannelBind)).toBe(1);
    sim.runUntil(239_999);
    expect(s.count(StunMethod.CreatePermission)).toBe(1);
    sim.runUntil(240_000);
    expect(s.count(StunMethod.CreatePermission)).toBe(2);
    sim.runUntil(479_999);
    expect(s.count(StunMethod.ChannelBind)).toBe(1);
    sim.runUntil(480_000);
    expect(s.count(StunMethod.CreatePermission)).toBe(3);
    expect(s.count(StunMethod.ChannelBind)).toBe(2);
    // the data still goes over the channel
    a.send(new Uint8Array([2]), PEER, 480_001);
    expect(a.pollTransmit()!.data[0]).toBe(0x40);
  });

  it('reports a refused permission (403) as a warning and drops the queued data', () => {
    const { a, sim } = setup({ errorFor: { [StunMethod.CreatePermission]: 403 } }, { channels: false });
    a.allocate(0);
    sim.runUntil(0);
    sim.events();
    a.send(new Uint8Array([1]), PEER, 1);
    sim.runUntil(1);
    const w = sim.events().find((e) => e?.type === 'warning');
    expect(w?.type === 'warning' && w.error.code).toBe('forbidden');
    expect(a.stats.dropped).toBe(1);
    expect(a.state).toBe('allocated');
  });
});

describe('TurnAllocation: hostile input', () => {
  it('drops and counts malformed datagrams from the server', () => {
    const { a, sim } = setup();
    a.allocate(0);
    sim.runUntil(0);
    // a STUN-shaped header with a bad attribute length
    const bad = new Uint8Array([
      0x01,
      0x17,
      0x00,
      0x08,
      0x21,
      0x12,
      0xa4,
      0x42,
      ...new Uint8Array(12),
      0,
      0x12,
      0,
      40,
      0,
      0,
      0,
      0,
    ]);
    expect(a.handleInput(bad, SERVER, 1)).toBe(true);
    // ChannelData claiming more bytes than it has
    expect(a.handleInput(new Uint8Array([0x40, 0x00, 0x00, 0x10, 1]), SERVER, 1)).toBe(true);
    expect(a.stats.malformed).toBe(2);
    // a Data indication without DATA
    expect(a.state).toBe('allocated');
  });

  it('counts an ICMP Data indication without delivering anything (RFC 8656 §11.6)', () => {
    const { a, sim } = setup();
    a.allocate(0);
    sim.runUntil(0);
    a.createPermission(PEER, 0);
    sim.runUntil(0);
    sim.events();
    const icmp = new StunMessageBuilder('indication', StunMethod.Data)
      .add('XOR_PEER_ADDRESS', PEER)
      .add('ICMP', { type: 3, code: 3, data: 0 })
      .build();
    expect(a.handleInput(icmp, SERVER, 1)).toBe(true);
    expect(a.stats.icmp).toBe(1);
    expect(sim.events()).toEqual([]);
  });

  it('drops a success response without valid MESSAGE-INTEGRITY and keeps waiting', () => {
    const { s, a, sim } = setup();
    a.allocate(0);
    sim.runUntil(0);
    a.createPermission(PEER, 0);
    const request = a.pollTransmit()!;
    const m = decodeStunMessage(request.data);
    const forged = new StunMessageBuilder('success', StunMethod.CreatePermission, m.transactionId).build();
    expect(a.handleInput(forged, SERVER, 1)).toBe(true);
    expect(a.stats.unauthenticated).toBe(1);
    expect(a.hasPermission(PEER, 1)).toBe(false);
    // the genuine answer still counts
    for (const r of s.handle(request.data, 2)) a.handleInput(r, SERVER, 2);
    expect(a.hasPermission(PEER, 2)).toBe(true);
  });

  it('ignores datagrams that are not from the server', () => {
    const { a, sim } = setup();
    a.allocate(0);
    sim.runUntil(0);
    expect(a.handleInput(new Uint8Array([0x40, 0, 0, 0]), PEER, 1)).toBe(false);
  });

  it('never throws on arbitrary bytes from the server', () => {
    const { a, sim } = setup();
    a.allocate(0);
    sim.runUntil(0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        a.handleInput(bytes, SERVER, 1);
        a.handleTimeout(1);
      }),
      { seed: 42, numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (body) => {
        // STUN-framed garbage: header valid, attributes arbitrary
        const len = body.length & ~3;
        const msg = new Uint8Array(20 + len);
        msg.set([0x01, 0x13, len >> 8, len & 0xff, 0x21, 0x12, 0xa4, 0x42]);
        msg.set(body.subarray(0, len), 20);
        a.handleInput(msg, SERVER, 1);
      }),
      { seed: 7, numRuns: 2000 },
    );
    expect(a.state).toBe('allocated');
  });
});

describe('TurnAllocation on a seeded lossy network (10% loss each way, 10% duplication, reordering)', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`allocates, installs a permission and a channel, and relays data (seed ${seed})`, () => {
      const server = new FakeTurnServer({ staleNonces: seed % 2 });
      const a = new TurnAllocation({
        server: SERVER,
        username: 'user',
        password: 'pass',
        deadline: 60_000,
        randomBytes: seededBytes,
      });
      const net = new LossySimulation(a, server, seed, 0.1, 0.1);
      a.allocate(0);
      net.runUntil(20_000);
      expect(a.state).toBe('allocated');
      for (let i = 0; i < 50; i++) {
        a.send(new Uint8Array([i]), PEER, net.now);
        net.runUntil(net.now + 200);
      }
      net.runUntil(net.now + 20_000);
      expect(a.hasPermission(PEER, net.now)).toBe(true);
      expect(a.boundChannel(PEER)).toBe(0x4000);
      const relayed = server.indications.length + server.channelData.length;
      expect(relayed).toBeGreaterThan(20); // most of 50 arrive despite 10% loss
      for (let i = 0; i < 20; i++) net.fromServer(server.channelDataFrom(PEER, new Uint8Array([i])));
      net.runUntil(net.now + 1000);
      const events: TurnEvent[] = [];
      for (let e = a.pollEvent(); e; e = a.pollEvent()) events.push(e);
      expect(events.filter((e) => e.type === 'allocated')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'failed')).toHaveLength(0);
      expect(events.filter((e) => e.type === 'data').length).toBeGreaterThan(5);
      // survives an hour of refreshes on the lossy path
      net.runUntil(net.now + 3_600_000);
      expect(a.state).toBe('allocated');
      expect(a.hasPermission(PEER, net.now)).toBe(true);
    });
  }
});
