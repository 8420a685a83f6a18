import fc from 'fast-check';
import { expect, test } from 'vitest';
import { StunStreamFramer } from './stream-framing.js';

function stun(bodyLength: number, fill: number): Uint8Array {
  const m = new Uint8Array(20 + bodyLength).fill(fill);
  m.set([0x00, 0x01, bodyLength >> 8, bodyLength & 0xff, 0x21, 0x12, 0xa4, 0x42]);
  return m;
}

test('splits back-to-back STUN messages across arbitrary chunk boundaries', () => {
  const a = stun(8, 0xaa);
  const b = stun(0, 0xbb);
  const c = stun(12, 0xcc);
  const stream = new Uint8Array([...a, ...b, ...c]);
  for (let cut = 1; cut < stream.length; cut++) {
    const f = new StunStreamFramer();
    const got = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
    expect(got).toEqual([a, b, c]);
    expect(f.pending).toBe(0);
  }
});

test('ChannelData is padded to 4 bytes on a stream (RFC 8656 §12.5), padding stripped', () => {
  const f = new StunStreamFramer();
  const cd = new Uint8Array([0x40, 0x00, 0x00, 0x03, 1, 2, 3]);
  const got = f.push(new Uint8Array([...cd, 0, ...stun(0, 1)]));
  expect(got[0]).toEqual(cd);
  expect(got).toHaveLength(2);
});

test('non-STUN bytes break the stream', () => {
  const f = new StunStreamFramer();
  expect(f.push(new Uint8Array([0x80, 0x60, 0x00, 0x01, 0, 0, 0, 0]))).toEqual([]); // RTP
  expect(f.broken).toBe(true);
  expect(f.push(stun(0, 0))).toEqual([]);
});

test('a STUN header whose length is not a multiple of 4 breaks the stream', () => {
  const f = new StunStreamFramer();
  expect(f.push(new Uint8Array([0x00, 0x01, 0x00, 0x05, 0x21, 0x12, 0xa4, 0x42]))).toEqual([]);
  expect(f.broken).toBe(true);
});

// Moved from @p2pcat/turn, whose copy of the framer is gone (issue 16).
const turnStun = new Uint8Array([
  0x01,
  0x01,
  0x00,
  0x04,
  0x21,
  0x12,
  0xa4,
  0x42,
  ...new Uint8Array(12),
  1,
  2,
  3,
  4,
]);
const channelData = new Uint8Array([0x40, 0x01, 0x00, 0x03, 9, 8, 7]);
const channelDataPadded = new Uint8Array([...channelData, 0]);

test('cuts STUN messages and padded ChannelData, returning ChannelData without its padding', () => {
  const f = new StunStreamFramer();
  expect(f.push(new Uint8Array([...turnStun, ...channelDataPadded, ...turnStun]))).toEqual([
    turnStun,
    channelData,
    turnStun,
  ]);
});

test('reassembles frames split at every byte', () => {
  const f = new StunStreamFramer();
  const out: Uint8Array[] = [];
  for (const b of [...channelDataPadded, ...turnStun]) out.push(...f.push(new Uint8Array([b])));
  expect(out).toEqual([channelData, turnStun]);
  expect(f.pending).toBe(0);
});

test('returned messages are copies: later pushes do not change them', () => {
  const f = new StunStreamFramer();
  const [first] = f.push(turnStun);
  f.push(new Uint8Array(4096).fill(0)); // an incomplete message larger than the buffer: it regrows
  expect(first).toEqual(turnStun);
});

test('never throws and, once broken, stays broken on arbitrary chunks', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
      const f = new StunStreamFramer();
      let wasBroken = false;
      for (const c of chunks) {
        const got = f.push(c);
        if (wasBroken) expect(got).toEqual([]);
        for (const m of got) expect(m[0]! < 0x50).toBe(true);
        wasBroken = f.broken;
      }
    }),
    { seed: 3, numRuns: 1000 },
  );
});

test('splitting a stream anywhere yields the same messages as pushing it whole', () => {
  const message = fc.oneof(
    fc.uint8Array({ maxLength: 16 }).map((body) => {
      const len = body.length & ~3;
      const m = new Uint8Array(20 + len);
      m.set([0x00, 0x01, len >> 8, len & 0xff, 0x21, 0x12, 0xa4, 0x42]);
      m.set(body.subarray(0, len), 20);
      return { wire: m, message: m };
    }),
    fc.uint8Array({ maxLength: 13 }).map((data) => {
      const m = new Uint8Array([0x40, 0x00, 0x00, data.length, ...data]);
      return { wire: new Uint8Array([...m, ...new Uint8Array((4 - (data.length % 4)) % 4)]), message: m };
    }),
  );
  fc.assert(
    fc.property(
      fc.array(message, { maxLength: 8 }),
      fc.array(fc.nat(200), { maxLength: 6 }),
      (messages, cuts) => {
        const stream = new Uint8Array(messages.flatMap((m) => [...m.wire]));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const f = new StunStreamFramer();
        const got: Uint8Array[] = [];
        let at = 0;
        for (const p of [...points, stream.length]) {
          got.push(...f.push(stream.subarray(at, p)));
          at = p;
        }
        expect(got).toEqual(messages.map((m) => m.message));
        expect(f.broken).toBe(false);
        expect(f.pending).toBe(0);
      },
    ),
    { seed: 7, numRuns: 500 },
  );
});
