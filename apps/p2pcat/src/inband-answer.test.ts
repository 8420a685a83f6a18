import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isInbandAnswer,
  isTakenNotice,
  openInbandAnswer,
  openTakenNotice,
  sealInbandAnswer,
  sealTakenNotice,
} from './inband-answer.js';

const PWD = 'Zk3v9QmW1xYp7RtLb2NcHd';
const ANSWER = 'p2pcat1-EXAMPLEANSWERTEXT0123456789';

describe('in-band answer datagram', () => {
  it('round-trips for the holder of the invite password', () => {
    const d = sealInbandAnswer(ANSWER, PWD);
    expect(isInbandAnswer(d)).toBe(true);
    expect(openInbandAnswer(d, PWD)).toBe(ANSWER);
  });

  it('is refused with another password, a flipped bit anywhere, or truncated', () => {
    const d = sealInbandAnswer(ANSWER, PWD);
    expect(openInbandAnswer(d, `${PWD}x`)).toBeUndefined();
    for (let i = 15; i < d.length; i++) {
      const bad = Uint8Array.from(d);
      bad[i] = (bad[i] ?? 0) ^ 0x01;
      expect(openInbandAnswer(bad, PWD), `bit flip at ${i}`).toBeUndefined();
    }
    expect(openInbandAnswer(d.subarray(0, d.length - 1), PWD)).toBeUndefined();
  });

  it('never collides with STUN, ChannelData or pseudo-TCP datagrams (RFC 7983 first byte)', () => {
    const first = sealInbandAnswer(ANSWER, PWD)[0] ?? 0;
    expect(first).toBeGreaterThan(79); // STUN 0-3, ChannelData 64-79
    expect(first).not.toBe(0x50); // p2pcat's pseudo-TCP conversation id starts with 0x50
  });

  it('arbitrary bytes are refused without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.boolean(), (bytes, withMagic) => {
        const data = withMagic ? Uint8Array.from([...Buffer.from('p2pcat-answer1:'), ...bytes]) : bytes;
        expect(openInbandAnswer(data, PWD)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it("taken notice: verified only with the answer it is about and that answer's password", () => {
    const raw = Buffer.from('answer bytes');
    const d = sealTakenNotice(raw, PWD);
    expect(isTakenNotice(d)).toBe(true);
    expect(isInbandAnswer(d)).toBe(false);
    expect(openTakenNotice(d, raw, PWD)).toBe(true);
    expect(openTakenNotice(d, Buffer.from('other answer'), PWD)).toBe(false);
    expect(openTakenNotice(d, raw, `${PWD}x`)).toBe(false);
    expect((d[0] ?? 0) > 79 && d[0] !== 0x50).toBe(true);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const data = Uint8Array.from([...Buffer.from('p2pcat-taken1:'), ...bytes]);
        expect(openTakenNotice(data, raw, PWD)).toBe(false);
        expect(openTakenNotice(bytes, raw, PWD)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
