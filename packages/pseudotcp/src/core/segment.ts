// The pseudo-TCP segment: a 24-byte big-endian header followed by the payload
// (libnice agent/pseudotcp.c; see PSEUDOTCP-WIRE.md). No checksum, no header options.

export const HEADER_SIZE = 24;
/** Largest datagram libnice accepts. */
export const MAX_DATAGRAM = 65_532;
/** IP + UDP + pseudo-TCP + Jingle overhead that libnice subtracts from the MTU to get the MSS. */
export const PACKET_OVERHEAD = 116;
/** libnice's MTU step-down table, used when a datagram is too large. */
export const PACKET_MAXIMUMS = [65_535, 32_000, 17_914, 8166, 4352, 2002, 1492, 1006, 508, 296] as const;
/** MSS before the connection is established: the smallest MTU step minus the overhead. */
export const MIN_MSS = 296 - PACKET_OVERHEAD;

export const FLAG_FIN = 0x01;
export const FLAG_CTL = 0x02;
export const FLAG_RST = 0x04;

export interface SegmentHeader {
  conv: number;
  seq: number; // 32-bit wire value
  ack: number; // 32-bit wire value
  flags: number;
  window: number; // 16-bit, still scaled
  tsval: number;
  tsecr: number;
}

export interface Segment extends SegmentHeader {
  payload: Uint8Array;
}

export class SegmentDecodeError extends Error {
  override name = 'SegmentDecodeError';
}

/** Write a header into `out` (at least 24 bytes); the payload, if any, goes after it. */
export function writeHeader(out: Uint8Array, h: SegmentHeader): void {
  const v = new DataView(out.buffer, out.byteOffset, HEADER_SIZE);
  v.setUint32(0, h.conv >>> 0);
  v.setUint32(4, h.seq >>> 0);
  v.setUint32(8, h.ack >>> 0);
  v.setUint8(12, 0);
  v.setUint8(13, h.flags & 0xff);
  v.setUint16(14, h.window & 0xffff);
  v.setUint32(16, h.tsval >>> 0);
  v.setUint32(20, h.tsecr >>> 0);
}

export function encodeSegment(s: Segment): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + s.payload.length);
  writeHeader(out, s);
  out.set(s.payload, HEADER_SIZE);
  return out;
}

/** Decode a datagram; throws SegmentDecodeError for anything that is not a segment. */
export function decodeSegment(datagram: Uint8Array): Segment {
  if (datagram.length < HEADER_SIZE) {
    throw new SegmentDecodeError(`datagram of ${datagram.length} bytes is shorter than the 24-byte header`);
  }
  if (datagram.length > MAX_DATAGRAM) {
    throw new SegmentDecodeError(`datagram of ${datagram.length} bytes exceeds ${MAX_DATAGRAM} bytes`);
  }
  const v = new DataView(datagram.buffer, datagram.byteOffset, HEADER_SIZE);
  return {
    conv: v.getUint32(0),
    seq: v.getUint32(4),
    ack: v.getUint32(8),
    flags: v.getUint8(13),
    window: v.getUint16(14),
    tsval: v.getUint32(16),
    tsecr: v.getUint32(20),
    payload: datagram.subarray(HEADER_SIZE),
  };
}
