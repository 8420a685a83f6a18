import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeConnect, parseConnectOptions } from '../src/core/connect-message.js';
import { PseudoTcp, windowScaleFor } from '../src/core/pseudotcp.js';
import {
  decodeSegment,
  encodeSegment,
  FLAG_CTL,
  FLAG_FIN,
  FLAG_RST,
  SegmentDecodeError,
} from '../src/core/segment.js';
import { toWire, unwrap } from '../src/core/seq.js';
import { drain, hex, seg } from './raw.js';

describe('golden bytes (docs/pseudotcp-wire.md)', () => {
  it('connect message: libnice 00 03 01 SS FE 01 00, libjingle 00 03 01 SS; ours adds FD 00', () => {
    expect(hex(encodeConnect(6, true))).toBe('00030106fe0100');
    expect(hex(encodeConnect(0, false))).toBe('00030100');
    expect(hex(encodeConnect(6, true, true))).toBe('00030106fe0100fd00');
  });

  it('24-byte big-endian header', () => {
    const bytes = encodeSegment({
      conv: 0x01020304,
      seq: 0xa0b0c0d0,
      ack: 0x11223344,
      flags: FLAG_CTL | FLAG_FIN | FLAG_RST,
      window: 0xbeef,
      tsval: 0xdeadbeef,
      tsecr: 0x0badf00d,
      payload: Uint8Array.of(0x99),
    });
    expect(hex(bytes)).toBe(
      '01020304' + 'a0b0c0d0' + '11223344' + '00' + '07' + 'beef' + 'deadbeef' + '0badf00d' + '99',
    );
    const back = decodeSegment(bytes);
    expect(back.conv).toBe(0x01020304);
    expect(back.seq).toBe(0xa0b0c0d0);
    expect(back.flags).toBe(7);
    expect(hex(back.payload)).toBe('99');
  });

  it('connect() sends one CTL segment at sequence 0 carrying the connect message', () => {
    const p = new PseudoTcp({ receiveBufferSize: 4 * 1024 * 1024 });
    p.connect(0);
    const [s, extra] = drain(p);
    expect(extra).toBeUndefined();
    expect(s?.conv).toBe(0);
    expect(s?.seq).toBe(0);
    expect(s?.ack).toBe(0);
    expect(s?.flags).toBe(FLAG_CTL);
    expect(hex(s?.payload ?? new Uint8Array())).toBe('00030107fe0100fd00');
    expect(s?.window).toBe((4 * 1024 * 1024) >>> 7);
    expect(p.state).toBe('syn-sent');
  });

  it('window scale only above 65535 (halvings until it fits 16 bits)', () => {
    expect(windowScaleFor(65_535)).toBe(0);
    expect(windowScaleFor(65_536)).toBe(1);
    expect(windowScaleFor(4 * 1024 * 1024)).toBe(7);
    const p = new PseudoTcp({ receiveBufferSize: 60 * 1024, finAck: false });
    p.connect(0);
    expect(hex(drain(p)[0]?.payload ?? new Uint8Array())).toBe('00030100fd00');
  });

  it('option parsing: no-op, MSS ignored, unknown kinds skipped, truncated option ends', () => {
    expect(parseConnectOptions(Uint8Array.of(1, 1, 2, 2, 5, 0xb4, 99, 1, 7, 3, 1, 4))).toEqual({
      windowScale: 4,
      finAck: false,
      echoRange: false,
    });
    expect(parseConnectOptions(Uint8Array.of(254, 1, 0, 0, 3, 1, 5))).toEqual({
      windowScale: undefined,
      finAck: true,
      echoRange: false,
    });
    expect(parseConnectOptions(Uint8Array.of(3, 5, 1))).toEqual({
      windowScale: undefined,
      finAck: false,
      echoRange: false,
    });
    expect(parseConnectOptions(Uint8Array.of(3, 1, 2, 254, 1, 0, 253, 0))).toEqual({
      windowScale: 2,
      finAck: true,
      echoRange: true,
    });
  });
});

describe('wrap-safe sequence numbers', () => {
  it('unwraps to the nearest value across 2^32', () => {
    const ref = 2 ** 32 - 10;
    expect(unwrap(5, ref)).toBe(2 ** 32 + 5);
    expect(unwrap(0xfffffff0, 2 ** 32 + 3)).toBe(2 ** 32 - 16);
    expect(toWire(2 ** 32 + 7)).toBe(7);
    expect(toWire(3 * 2 ** 32 + 1)).toBe(1);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }),
        (r, d) => {
          const v = r + d;
          return v < 0 || unwrap(toWire(v), r) === v;
        },
      ),
    );
  });
});

describe('decoding untrusted datagrams', () => {
  it('arbitrary bytes give a segment or a SegmentDecodeError, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          decodeSegment(bytes);
        } catch (e) {
          if (!(e instanceof SegmentDecodeError)) throw e;
        }
      }),
    );
  });

  it('handleInput accepts any bytes in any state without throwing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 60 }), { maxLength: 20 }),
        fc.boolean(),
        (dgs, open) => {
          const p = new PseudoTcp();
          if (open) p.connect(0);
          let t = 0;
          for (const d of dgs) {
            t += 10;
            p.handleInput(d, t);
            p.handleTimeout(t);
            drain(p);
          }
        },
      ),
    );
  });

  it('connect options: arbitrary bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const o = parseConnectOptions(bytes);
        return o.windowScale === undefined || (o.windowScale >= 0 && o.windowScale <= 255);
      }),
    );
  });

  it('drops a segment of another conversation', () => {
    const p = new PseudoTcp({ conversation: 5 });
    p.handleInput(seg({ conv: 6, flags: FLAG_CTL, payload: encodeConnect(0, true) }), 0);
    expect(p.state).toBe('listen');
    p.handleInput(seg({ conv: 5, flags: FLAG_CTL, payload: encodeConnect(0, true) }), 0);
    expect(p.state).toBe('syn-received');
  });
});
