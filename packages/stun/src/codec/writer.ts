const encoder = new TextEncoder();

/** Growable big-endian byte writer used by the message builder (no per-attribute allocation). */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  constructor(initial = 128) {
    this.buf = new Uint8Array(initial);
  }
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    b[this.pos] = v >>> 8;
    b[this.pos + 1] = v;
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos += 4;
  }
  bytes(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }
  utf8(s: string): void {
    // Pure ASCII fast path, else TextEncoder (at most 3 bytes per UTF-16 unit).
    this.ensure(s.length * 3);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        const r = encoder.encodeInto(s, b.subarray(this.pos));
        this.pos += r.written;
        return;
      }
      b[p++] = c;
    }
    this.pos = p;
  }
}
