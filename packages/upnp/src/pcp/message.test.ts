import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PortMappingDecodeError } from '../errors.js';
import { decodeResponse, encodeMapRequest } from './message.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const nonce = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

/** A MAP response as RFC 6887 §7.2 + §11.1 lay it out. */
function mapResponse(
  opts: { result?: number; version?: number; nonce?: Uint8Array; port?: number } = {},
): Uint8Array {
  const b = new Uint8Array(60);
  const v = new DataView(b.buffer);
  b[0] = opts.version ?? 2;
  b[1] = 0x81;
  b[3] = opts.result ?? 0;
  v.setUint32(4, 120);
  v.setUint32(8, 99);
  b.set(opts.nonce ?? nonce, 24);
  b[36] = 17;
  v.setUint16(40, 5000);
  v.setUint16(42, opts.port ?? 6000);
  b[54] = 0xff;
  b[55] = 0xff;
  b.set([203, 0, 113, 7], 56);
  return b;
}

describe('PCP messages (RFC 6887)', () => {
  it('encodes a MAP request: header §7.1, opcode body §11.1', () => {
    const m = encodeMapRequest({
      nonce,
      protocol: 'udp',
      internalPort: 5000,
      suggestedExternalPort: 6000,
      suggestedExternalAddress: undefined,
      lifetime: 7200,
      clientAddress: '192.168.1.20',
    });
    expect(m.length).toBe(60);
    expect(hex(m.subarray(0, 8))).toBe('0201000000001c20');
    expect(hex(m.subarray(8, 24))).toBe('00000000000000000000ffffc0a80114');
    expect(hex(m.subarray(24, 36))).toBe('0102030405060708090a0b0c');
    expect(hex(m.subarray(36, 44))).toBe('11000000' + '1388' + '1770');
    // no preference: ::ffff:0.0.0.0
    expect(hex(m.subarray(44, 60))).toBe('00000000000000000000ffff00000000');
  });

  it('decodes a MAP response', () => {
    const r = decodeResponse(mapResponse());
    expect(r).toMatchObject({ version: 2, opcode: 1, resultCode: 0, lifetime: 120, epoch: 99 });
    if (r instanceof PortMappingDecodeError || 'unsupportedVersion' in r) throw new Error('unexpected');
    expect(r.map).toMatchObject({
      protocol: 'udp',
      internalPort: 5000,
      externalPort: 6000,
      externalAddress: '203.0.113.7',
    });
    expect(hex(r.map?.nonce ?? new Uint8Array())).toBe(hex(nonce));
  });

  it('recognises UNSUPP_VERSION from a NAT-PMP-only server (§9)', () => {
    expect(decodeResponse(new Uint8Array([0, 0x81, 0, 1, 0, 0, 0, 5]))).toEqual({
      version: 0,
      unsupportedVersion: true,
    });
    const v1 = mapResponse({ version: 1, result: 1 });
    expect(decodeResponse(v1)).toEqual({ version: 1, unsupportedVersion: true });
  });

  it('rejects malformed answers with a typed error (§8.3)', () => {
    const bad = [
      new Uint8Array(0),
      new Uint8Array(20).fill(2),
      mapResponse().subarray(0, 58), // not a multiple of 4
      new Uint8Array(1104).fill(2), // over 1100 bytes
      (() => {
        const b = mapResponse();
        b[1] = 0x01; // R bit clear
        return b;
      })(),
      mapResponse().subarray(0, 24), // success without MAP body
      new Uint8Array([0, 0x80, 0, 0]), // NAT-PMP success, not a version answer
    ];
    for (const b of bad) expect(decodeResponse(b)).toBeInstanceOf(PortMappingDecodeError);
  });

  it('arbitrary bytes give a typed error or a response, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (b) => {
        const r = decodeResponse(b);
        expect(r).toBeTypeOf('object');
      }),
      { numRuns: 2000, seed: 6887 },
    );
    // and mutations of a valid answer
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 60 }),
        (i, v, len) => {
          const b = mapResponse();
          b[i] = v;
          expect(decodeResponse(b.subarray(0, len))).toBeTypeOf('object');
        },
      ),
      { numRuns: 2000, seed: 1 },
    );
  });
});
