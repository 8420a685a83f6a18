import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamDeframer, StreamFramingError } from './stream-framing.js';

const stun = new Uint8Array([
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

describe('StreamDeframer (RFC 8656 §12.5 framing over TCP/TLS)', () => {
  it('cuts STUN messages and padded ChannelData, returning ChannelData without its padding', () => {
    const d = new StreamDeframer();
    const stream = new Uint8Array([...stun, ...channelDataPadded, ...stun]);
    expect(d.push(stream)).toEqual([stun, channelData, stun]);
  });

  it('reassembles frames split at every byte', () => {
    const d = new StreamDeframer();
    const stream = new Uint8Array([...channelDataPadded, ...stun]);
    const out: Uint8Array[] = [];
    for (const b of stream) out.push(...d.push(new Uint8Array([b])));
    expect(out).toEqual([channelData, stun]);
  });

  it('rejects a stream that is neither STUN nor ChannelData', () => {
    expect(() => new StreamDeframer().push(new Uint8Array([0x80, 0, 0, 0]))).toThrow(StreamFramingError);
  });

  it('never throws anything but StreamFramingError on arbitrary chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const d = new StreamDeframer();
        try {
          for (const c of chunks) d.push(c);
        } catch (e) {
          if (!(e instanceof StreamFramingError)) throw e;
        }
      }),
      { seed: 3, numRuns: 1000 },
    );
  });
});
