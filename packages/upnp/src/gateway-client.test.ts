import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type GatewayClientEvent,
  GatewayMappingClient,
  type GatewayMappingConfig,
} from './gateway-client.js';

/** A simulated gateway: answers NAT-PMP always, PCP only when it speaks PCP. */
function gateway(speaksPcp: boolean) {
  const seen: Uint8Array[] = [];
  const answer = (req: Uint8Array): Uint8Array | undefined => {
    seen.push(req);
    const v = new DataView(req.buffer, req.byteOffset, req.byteLength);
    if (req[0] === 2) {
      if (!speaksPcp) return new Uint8Array([0, 0x81, 0, 1, 0, 0, 0, 9]); // NAT-PMP: unsupported version
      const b = new Uint8Array(60);
      b.set(req.subarray(0, 60));
      const o = new DataView(b.buffer);
      b[1] = 0x81;
      b[3] = 0;
      b.fill(0, 8, 24);
      o.setUint16(42, 40000 + v.getUint16(40) - 5000);
      b.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 1], 44);
      return b;
    }
    if (req[1] === 0) return new Uint8Array([0, 128, 0, 0, 0, 0, 0, 1, 198, 51, 100, 2]);
    const b = new Uint8Array(16);
    const o = new DataView(b.buffer);
    b[1] = 128 + (req[1] ?? 0);
    o.setUint16(8, v.getUint16(4));
    o.setUint16(10, 30000);
    o.setUint32(12, v.getUint32(8));
    return b;
  };
  return { seen, answer };
}

/** xorshift32 */
function prng(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Runs one operation on a simulated network with loss; returns the outcome and the time taken. */
function run(
  client: GatewayMappingClient,
  begin: (now: number) => void,
  gw: ReturnType<typeof gateway>,
  opts: { loss?: number; seed?: number; rttMs?: number; start?: number } = {},
): { event: GatewayClientEvent | undefined; at: number } {
  const random = prng(opts.seed ?? 1);
  const rtt = opts.rttMs ?? 10;
  let now = opts.start ?? 0;
  const inflight: Array<{ at: number; bytes: Uint8Array }> = [];
  begin(now);
  for (let steps = 0; steps < 10_000; steps++) {
    for (let out = client.pollTransmit(); out !== undefined; out = client.pollTransmit()) {
      if (random() < (opts.loss ?? 0)) continue; // request lost
      const reply = gw.answer(out);
      if (reply !== undefined && random() >= (opts.loss ?? 0)) inflight.push({ at: now + rtt, bytes: reply });
    }
    const ev = client.pollEvent();
    if (ev !== undefined) return { event: ev, at: now };
    inflight.sort((a, b) => a.at - b.at);
    const nextInput = inflight[0]?.at;
    const nextTimer = client.pollTimeout();
    if (nextInput === undefined && nextTimer === undefined) return { event: undefined, at: now };
    if (nextInput !== undefined && (nextTimer === undefined || nextInput <= nextTimer)) {
      const d = inflight.shift();
      now = nextInput;
      if (d) client.handleInput(d.bytes, now);
    } else if (nextTimer !== undefined) {
      now = nextTimer;
      client.handleTimeout(now);
    }
  }
  throw new Error('did not settle');
}

const base: GatewayMappingConfig = {
  protocol: 'udp',
  internalPort: 5000,
  suggestedExternalPort: 5000,
  lifetime: 3600,
  clientAddress: '192.168.1.20',
  nonce: new Uint8Array(12).fill(7),
  usePcp: true,
  useNatPmp: true,
  pcpHeadStartMs: 600,
  random: () => 0.5,
};

describe('GatewayMappingClient (sans-IO, simulated network)', () => {
  it('maps with PCP, renews with the same nonce and the assigned port, deletes with lifetime 0', () => {
    const gw = gateway(true);
    const c = new GatewayMappingClient(base);
    const mapped = run(c, (n) => c.start(n), gw);
    expect(mapped.event).toEqual({
      type: 'mapped',
      grant: { method: 'pcp', externalAddress: '198.51.100.1', externalPort: 40000, lifetime: 3600 },
    });
    expect(mapped.at).toBe(10);
    expect(run(c, (n) => c.renew(n), gw).event?.type).toBe('mapped');
    expect(run(c, (n) => c.delete(n), gw).event).toEqual({ type: 'deleted' });
    const [first, renew, del] = gw.seen as [Uint8Array, Uint8Array, Uint8Array];
    expect(gw.seen.every((p) => p[0] === 2)).toBe(true);
    expect(renew.subarray(24, 36)).toEqual(first.subarray(24, 36));
    expect(new DataView(renew.buffer).getUint16(42)).toBe(40000);
    expect(new DataView(del.buffer).getUint32(4)).toBe(0);
  });

  it('falls back to NAT-PMP at once on UNSUPP_VERSION and stays with it for renew and delete', () => {
    const gw = gateway(false);
    const c = new GatewayMappingClient(base);
    const mapped = run(c, (n) => c.start(n), gw);
    expect(mapped.event).toEqual({
      type: 'mapped',
      grant: { method: 'nat-pmp', externalAddress: '198.51.100.2', externalPort: 30000, lifetime: 3600 },
    });
    expect(mapped.at).toBe(20); // one PCP round trip, one NAT-PMP round trip
    expect(run(c, (n) => c.renew(n), gw).event?.type).toBe('mapped');
    expect(run(c, (n) => c.delete(n), gw).event).toEqual({ type: 'deleted' });
    const del = gw.seen.at(-1) ?? new Uint8Array();
    expect(Array.from(del)).toEqual([0, 1, 0, 0, 0x13, 0x88, 0, 0, 0, 0, 0, 0]);
    expect(gw.seen.filter((p) => p[0] === 2)).toHaveLength(1);
  });

  it('tries NAT-PMP after the head start when PCP is silent', () => {
    const gw = gateway(true);
    const silentPcp = {
      seen: gw.seen,
      answer: (req: Uint8Array) => (req[0] === 2 ? undefined : gw.answer(req)),
    };
    const c = new GatewayMappingClient(base);
    const r = run(c, (n) => c.start(n), silentPcp);
    expect(r.event).toMatchObject({ type: 'mapped', grant: { method: 'nat-pmp' } });
    expect(r.at).toBe(610);
  });

  it('deletes through PCP too when NAT-PMP granted while the PCP MAP was unanswered', () => {
    // The PCP MAP may have reached a slow gateway: on one serving both protocols from one table it
    // may hold the rule (RFC 6887 §15: deleted by a MAP with its nonce and lifetime 0).
    const gw = gateway(true);
    const silentPcp = {
      seen: gw.seen,
      answer: (req: Uint8Array) => (req[0] === 2 ? undefined : gw.answer(req)),
    };
    const c = new GatewayMappingClient(base);
    expect(run(c, (n) => c.start(n), silentPcp).event).toMatchObject({ grant: { method: 'nat-pmp' } });
    const before = gw.seen.length;
    const del = run(c, (n) => c.delete(n), gw, { start: 1000 });
    expect(del.event).toEqual({ type: 'deleted' });
    const sent = gw.seen.slice(before);
    const pcpDelete = sent.find((p) => p[0] === 2) ?? new Uint8Array(60);
    const pmpDelete = sent.find((p) => p[0] === 0) ?? new Uint8Array();
    expect(new DataView(pcpDelete.buffer).getUint32(4)).toBe(0); // lifetime 0
    expect(pcpDelete.subarray(24, 36)).toEqual(base.nonce); // the MAP's nonce
    expect(Array.from(pmpDelete)).toEqual([0, 1, 0, 0, 0x13, 0x88, 0, 0, 0, 0, 0, 0]);
    // and a second delete has nothing left to do
    c.delete(2000);
    expect(c.pollEvent()).toEqual({ type: 'deleted' });
    expect(c.pollTransmit()).toBeUndefined();
  });

  it('deletes a start abandoned unanswered through every protocol it sent, nothing when none went out', () => {
    const idle = new GatewayMappingClient(base);
    idle.start(0); // nothing polled: nothing sent
    idle.delete(1);
    expect(idle.pollEvent()).toEqual({ type: 'deleted' });
    expect(idle.pollTransmit()).toBeUndefined();

    const c = new GatewayMappingClient(base);
    c.start(0);
    expect(c.pollTransmit()?.[0]).toBe(2); // PCP MAP out
    c.handleTimeout(600); // head start over: NAT-PMP too
    const out: Uint8Array[] = [];
    for (let p = c.pollTransmit(); p !== undefined; p = c.pollTransmit()) out.push(p);
    expect(out.some((p) => p[0] === 0 && p[1] === 1)).toBe(true);
    const gw = gateway(true);
    const r = run(c, (n) => c.delete(n), gw, { start: 700 }); // abandoned: the adapter gave up waiting
    expect(r.event).toEqual({ type: 'deleted' });
    expect(gw.seen.map((p) => (p[0] === 2 ? 'pcp' : 'nat-pmp')).sort()).toEqual(['nat-pmp', 'pcp']);
    expect(
      gw.seen.every((p) => new DataView(p.buffer, p.byteOffset).getUint32(p[0] === 2 ? 4 : 8) === 0),
    ).toBe(true);
  });

  it('reports a timeout when nothing answers, after the RFC schedules', () => {
    const c = new GatewayMappingClient({ ...base, useNatPmp: false });
    const r = run(c, (n) => c.start(n), { seen: [], answer: () => undefined });
    expect(r.event).toMatchObject({ type: 'failed', error: { code: 'timeout' } });
  });

  it('maps on every seed under 20 % loss each way', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.boolean(), (seed, speaksPcp) => {
        const gw = gateway(speaksPcp);
        const c = new GatewayMappingClient({ ...base, random: prng(seed ^ 0x55) });
        const r = run(c, (n) => c.start(n), gw, { loss: 0.2, seed });
        expect(r.event?.type, JSON.stringify(r.event && 'error' in r.event ? r.event.error.message : r)).toBe(
          'mapped',
        );
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
