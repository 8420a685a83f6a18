// The pseudo-TCP segment: a 24-byte big-endian header followed by the payload
// (libnice agent/pseudotcp.c; see docs/pseudotcp-wire.md). No checksum, no header options.

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
  // Byte by byte rather than through a DataView: this runs for every datagram sent.
  put32(out, 0, h.conv);
  put32(out, 4, h.seq);
  put32(out, 8, h.ack);
  out[12] = 0;
  out[13] = h.flags & 0xff;
  out[14] = (h.window >>> 8) & 0xff;
  out[15] = h.window & 0xff;
  put32(out, 16, h.tsval);
  put32(out, 20, h.tsecr);
}

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

function get32(d: Uint8Array, at: number): number {
  return (
    ((d[at] as number) * 0x1000000 +
      (((d[at + 1] as number) << 16) | ((d[at + 2] as number) << 8) | (d[at + 3] as number))) >>>
    0
  );
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
  return {
    conv: get32(datagram, 0),
    seq: get32(datagram, 4),
    ack: get32(datagram, 8),
    flags: datagram[13] as number,
    window: ((datagram[14] as number) << 8) | (datagram[15] as number),
    tsval: get32(datagram, 16),
    tsecr: get32(datagram, 20),
    payload: datagram.subarray(HEADER_SIZE),
  };
}
