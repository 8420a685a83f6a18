/** RFC 8489 §14.7: FINGERPRINT = CRC-32 (ISO 3309 / ITU V.42, as in zlib) XOR 0x5354554e. */
export const FINGERPRINT_XOR = 0x5354554e;

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** Continues a CRC-32 over b[start, end); start the chain with crc = 0. */
export function crc32(b: Uint8Array, start = 0, end = b.length, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = (TABLE[(c ^ (b[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}
