// Hand-made segments for tests that play the peer byte by byte.
import { decodeSegment, encodeSegment, type Segment } from '../src/core/segment.js';

export function seg(fields: Partial<Segment>): Uint8Array {
  return encodeSegment({
    conv: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0xffff,
    tsval: 0,
    tsecr: 0,
    payload: new Uint8Array(0),
    ...fields,
  });
}

export function drain(p: { pollTransmit(): Uint8Array | undefined }): Segment[] {
  const out: Segment[] = [];
  for (let d = p.pollTransmit(); d !== undefined; d = p.pollTransmit()) out.push(decodeSegment(d));
  return out;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
