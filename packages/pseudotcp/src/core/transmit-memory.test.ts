// The memory of outgoing datagrams: kept valid until the caller releases it (releaseTransmits),
// then reused for the next datagrams, with the same bytes on the wire either way.
import { describe, expect, test } from 'vitest';
import { PseudoTcp } from './pseudotcp.js';

/** Two connected endpoints; returns them and a function that runs the link until it is quiet. */
function pair(release: boolean) {
  const a = new PseudoTcp();
  const b = new PseudoTcp();
  const wire: Uint8Array[] = [];
  const drain = (from: PseudoTcp, to: PseudoTcp, now: number) => {
    const out: Uint8Array[] = [];
    for (let d = from.pollTransmit(); d !== undefined; d = from.pollTransmit()) out.push(d);
    // What a copying transport does: the bytes are taken before the memory is released.
    const copies = out.map((d) => Uint8Array.from(d));
    if (release) from.releaseTransmits();
    for (const c of copies) {
      if (from === a) wire.push(c);
      to.handleInput(c, now);
    }
    return { out, copies };
  };
  return { a, b, wire, drain };
}

describe('releaseTransmits', () => {
  test('without it, a datagram handed out is never overwritten', () => {
    const { a, b, drain } = pair(false);
    a.connect(0);
    b.connect(0);
    const kept: { out: Uint8Array[]; copies: Uint8Array[] }[] = [];
    for (let t = 1; t < 50; t++) {
      if (t === 2) a.send(new Uint8Array(200_000).fill(7), t);
      kept.push(drain(a, b, t));
      drain(b, a, t);
      b.recv();
    }
    for (const { out, copies } of kept) expect(Buffer.concat(out).equals(Buffer.concat(copies))).toBe(true);
  });

  test('with it, the same memory is reused and the wire is the same byte for byte', () => {
    const run = (release: boolean) => {
      const { a, b, wire, drain } = pair(release);
      a.connect(0);
      b.connect(0);
      const buffers = new Set<ArrayBufferLike>();
      let received = 0;
      for (let t = 1; t < 200 && received < 1_000_000; t++) {
        if (t === 2)
          a.send(
            new Uint8Array(1_000_000).map((_, i) => i % 251),
            t,
          );
        for (const d of drain(a, b, t).out) buffers.add(d.buffer);
        drain(b, a, t);
        received += b.recv()?.length ?? 0;
        a.handleTimeout(t);
        b.handleTimeout(t);
      }
      expect(received).toBe(1_000_000);
      return { wire, buffers: buffers.size };
    };
    const fresh = run(false);
    const reused = run(true);
    expect(reused.wire.length).toBe(fresh.wire.length);
    expect(Buffer.concat(reused.wire).equals(Buffer.concat(fresh.wire))).toBe(true);
    // ~770 datagrams of 1308 bytes: 16 fresh 64 KiB slabs, or a few reused ones.
    expect(fresh.buffers).toBeGreaterThan(10);
    expect(reused.buffers).toBeLessThan(5);
  });

  test('datagrams not yet polled are kept', () => {
    const { a, b, drain } = pair(false);
    a.connect(0);
    b.connect(0);
    drain(a, b, 1);
    drain(b, a, 1);
    a.send(new Uint8Array(20_000).fill(9), 2);
    const first = a.pollTransmit();
    expect(first).toBeDefined();
    a.releaseTransmits(); // more are queued: nothing is reused yet
    const rest: Uint8Array[] = [];
    for (let d = a.pollTransmit(); d !== undefined; d = a.pollTransmit()) rest.push(Uint8Array.from(d));
    a.send(new Uint8Array(20_000).fill(5), 3);
    for (let d = a.pollTransmit(); d !== undefined; d = a.pollTransmit());
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((d) => d.subarray(24).every((x) => x === 9))).toBe(true);
  });

  test('flushes that are not released never make the slab grow, nor overwrite what is in flight', () => {
    // A transport that copies most flushes but sometimes queues one (node:dgram after a full
    // socket buffer): the held flush stays intact, and the slab does not double on its account.
    const a = new PseudoTcp();
    const b = new PseudoTcp();
    a.connect(0);
    b.connect(0);
    // Flushes held since the last release (releaseTransmits says the caller keeps none of them).
    let held: { out: Uint8Array[]; copies: Uint8Array[] }[] = [];
    let checked = 0;
    let releases = 0;
    const checkHeld = () => {
      for (const { out, copies } of held) expect(Buffer.concat(out).equals(Buffer.concat(copies))).toBe(true);
      checked += held.length;
      held = [];
    };
    const buffers = new Map<ArrayBufferLike, number>();
    let received = 0;
    for (let t = 1; t < 800 && received < 4_000_000; t++) {
      if (t % 20 === 1)
        a.send(
          new Uint8Array(200_000).map((_, i) => (i + t) % 253),
          t,
        );
      const out: Uint8Array[] = [];
      for (let d = a.pollTransmit(); d !== undefined; d = a.pollTransmit()) out.push(d);
      const copies = out.map((d) => Uint8Array.from(d));
      for (const d of out) buffers.set(d.buffer, d.buffer.byteLength);
      held.push({ out, copies });
      if (t % 40 === 0) {
        checkHeld();
        a.releaseTransmits();
        releases++;
      }
      for (const c of copies) b.handleInput(c, t);
      for (let d = b.pollTransmit(); d !== undefined; d = b.pollTransmit()) a.handleInput(d, t);
      received += b.recv()?.length ?? 0;
      a.handleTimeout(t);
      b.handleTimeout(t);
    }
    checkHeld();
    expect(received).toBeGreaterThan(1_000_000);
    expect(checked).toBeGreaterThan(100);
    expect(releases).toBeGreaterThan(5);
    // Each flush here is at most one window (about 64 KiB by default): a slab never needs more
    // than twice that, however many flushes were held.
    expect(Math.max(...buffers.values())).toBeLessThanOrEqual(256 * 1024);
  });
});
