// Stretch ACKs (issue 18): after the quick-ACK phase, in-order data is acknowledged every 8
// segments or after 1 ms; an out-of-order segment returns to acknowledging every second segment.
import { describe, expect, it } from 'vitest';
import { encodeConnect } from '../src/core/connect-message.js';
import { PseudoTcp } from '../src/core/pseudotcp.js';
import { FLAG_CTL } from '../src/core/segment.js';
import { drain, seg } from './raw.js';

const MSS = 1000;

function established(): { p: PseudoTcp; seq: number } {
  const p = new PseudoTcp({ receiveBufferSize: 8 * 1024 * 1024 });
  p.handleInput(seg({ flags: FLAG_CTL, payload: encodeConnect(7, true) }), 0);
  drain(p);
  p.handleInput(seg({ seq: 7, ack: 7 }), 1);
  expect(p.state).toBe('established');
  drain(p);
  return { p, seq: 7 };
}

/** Feeds `n` in-order segments at `now`, draining (reading) after each batch of `batch`; returns ACKs seen. */
function feed(
  p: PseudoTcp,
  from: number,
  n: number,
  batch: number,
  now: number,
): { acks: number[]; next: number } {
  const acks: number[] = [];
  let s = from;
  for (let i = 0; i < n; i++) {
    p.handleInput(seg({ seq: s, ack: 7, payload: new Uint8Array(MSS), tsval: i + 1 }), now);
    s += MSS;
    if ((i + 1) % batch === 0) {
      for (const a of drain(p)) acks.push(a.ack);
      while (p.recv() !== undefined) {}
    }
  }
  return { acks, next: s };
}

describe('stretch ACK', () => {
  it('acknowledges every second segment for the first 256 KiB, then every 8 segments', () => {
    const { p, seq } = established();
    // Quick-ACK phase: batches of two segments each get their ACK when drained.
    const quick = feed(p, seq, 200, 2, 10);
    expect(quick.acks.length).toBe(100);
    const cross = feed(p, quick.next, 100, 100, 15); // past 256 KiB
    // Now a batch of two no longer draws an ACK; the 8th segment does.
    const bulk = feed(p, cross.next, 64, 2, 20);
    expect(bulk.acks.length).toBe(8);
    expect(bulk.acks.at(-1)).toBe(bulk.next);
  });

  it('a short batch in the bulk phase is acknowledged after 1 ms', () => {
    const { p, seq } = established();
    const quick = feed(p, seq, 300, 300, 10);
    expect(quick.acks.at(-1)).toBe(quick.next); // a large batch: an ACK per 64 KiB and one at its end
    const short = feed(p, quick.next, 3, 3, 20);
    expect(short.acks).toEqual([]);
    expect(p.pollTimeout()).toBe(21);
    p.handleTimeout(21);
    expect(drain(p).map((a) => a.ack)).toEqual([short.next]);
  });

  it('an out-of-order segment returns to quick ACKs', () => {
    const { p, seq } = established();
    const quick = feed(p, seq, 300, 300, 10);
    // A hole of one segment, then the segment after it: acknowledged at once (duplicate ACK).
    p.handleInput(seg({ seq: quick.next + MSS, ack: 7, payload: new Uint8Array(MSS), tsval: 1 }), 20);
    expect(drain(p).map((a) => a.ack)).toEqual([quick.next]);
    p.handleInput(seg({ seq: quick.next, ack: 7, payload: new Uint8Array(MSS), tsval: 2 }), 21); // fills it
    expect(drain(p).map((a) => a.ack)).toEqual([quick.next + 2 * MSS]);
    const after = feed(p, quick.next + 2 * MSS, 4, 2, 22);
    expect(after.acks.length).toBe(2); // every second segment again
  });
});
