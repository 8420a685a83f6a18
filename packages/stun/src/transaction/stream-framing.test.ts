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
