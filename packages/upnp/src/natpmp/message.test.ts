import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PortMappingDecodeError } from '../errors.js';
import { decodeResponse, encodeExternalAddressRequest, encodeMapRequest } from './message.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

describe('NAT-PMP messages (RFC 6886)', () => {
  it('encodes the external address request as version 0, opcode 0 (§3.2)', () => {
    expect(hex(encodeExternalAddressRequest())).toBe('0000');
  });

  it('encodes a UDP mapping request (§3.3)', () => {
    const m = encodeMapRequest({
      protocol: 'udp',
      internalPort: 0x1234,
      suggestedExternalPort: 0x4321,
      lifetime: 7200,
    });
    expect(hex(m)).toBe('000100001234432100001c20');
  });

  it('zeroes the external port when deleting (§3.4)', () => {
    const m = encodeMapRequest({
      protocol: 'tcp',
      internalPort: 80,
      suggestedExternalPort: 8080,
      lifetime: 0,
    });
    expect(hex(m)).toBe('000200000050000000000000');
  });

  it('decodes an external address answer', () => {
    const r = decodeResponse(bytes('008000000000002acb007101'));
    expect(r).toEqual({
      kind: 'external-address',
      opcode: 0,
      resultCode: 0,
      epoch: 42,
      externalAddress: '203.0.113.1',
    });
  });

  it('decodes a mapping answer', () => {
    const r = decodeResponse(bytes('0081000000000010123443210000003c'));
    expect(r).toEqual({
      kind: 'mapping',
      opcode: 1,
      resultCode: 0,
      epoch: 16,
      internalPort: 0x1234,
      externalPort: 0x4321,
      lifetime: 60,
    });
  });

  it('decodes a short error answer with only the common header (§3.5)', () => {
    expect(decodeResponse(bytes('0081000200000001'))).toEqual({
      kind: 'error',
      opcode: 1,
      resultCode: 2,
      epoch: 1,
    });
  });

  it('rejects requests, wrong versions and truncation with a typed error', () => {
    for (const h of [
      '',
      '0080',
      '0001000000000000',
      '0280000000000000',
      '008000000000002a',
      '0081000000000010123443210000',
    ]) {
      expect(decodeResponse(bytes(h))).toBeInstanceOf(PortMappingDecodeError);
    }
  });

  it('arbitrary bytes give a typed error or a response, never a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const r = decodeResponse(b);
        expect(r instanceof PortMappingDecodeError || typeof r.resultCode === 'number').toBe(true);
      }),
      { numRuns: 2000, seed: 6886 },
    );
  });
});
