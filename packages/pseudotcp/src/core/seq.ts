// Wrap-safe sequence arithmetic. Inside the core every sequence number is "unwrapped": a plain
// integer that keeps growing past 2^32 (exact up to 2^53). The wire carries it modulo 2^32; a
// received 32-bit number is unwrapped to the integer nearest a reference point we already hold
// (RFC 1982 serial-number arithmetic with a 2^31 window).

/** The 32-bit wire form of an unwrapped sequence number. */
export function toWire(seq: number): number {
  return seq >>> 0;
}

/** The unwrapped sequence number nearest `reference` whose low 32 bits equal `wire`. */
export function unwrap(wire: number, reference: number): number {
  const diff = (wire - (reference >>> 0)) | 0; // signed 32-bit distance
  return reference + diff;
}
