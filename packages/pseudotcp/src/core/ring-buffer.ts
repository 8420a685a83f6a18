// A fixed-capacity byte ring addressed by absolute stream position: byte `pos` lives at
// index `pos % capacity`. Callers keep the live range within `capacity` bytes.
//
// Growth happens in place where the runtime has resizable ArrayBuffers: the ring reserves address
// space up to RESERVE bytes and `grow` commits more of it, so a ring that doubles from 64 KiB to
// 8 MiB touches only its final pages (each fresh page is a page fault, 10-19 us on a paravirtualised
// guest), instead of a new, zeroed buffer per doubling plus the copy into it (issue 18). Reserved,
// untouched address space costs no memory.

/** Address space a ring reserves for growing in place; beyond it, growth allocates anew. */
export const RESERVE = 32 * 1024 * 1024;

type ResizableBuffer = ArrayBuffer & { resize?(byteLength: number): void; readonly maxByteLength?: number };
type ResizableCtor = new (byteLength: number, options: { maxByteLength: number }) => ResizableBuffer;

/** A buffer of `capacity` bytes that can be resized in place up to `max` (if the runtime can). */
function allocate(capacity: number, max: number): ResizableBuffer {
  if (max > capacity && typeof (ArrayBuffer.prototype as ResizableBuffer).resize === 'function') {
    try {
      return new (ArrayBuffer as unknown as ResizableCtor)(capacity, { maxByteLength: max });
    } catch {
      // reservation refused (address space limits): a plain buffer
    }
  }
  return new ArrayBuffer(capacity);
}

/** One contiguous move of a relayout: `n` bytes from old index `from` to new index `to`. */
interface Move {
  from: number;
  to: number;
  n: number;
  detached?: Uint8Array; // a copy of the source, taken when no clobber-free order exists
}

export class RingBuffer {
  private buffer: ResizableBuffer;
  private bytes: Uint8Array;
  constructor(
    public capacity: number,
    reserve = RESERVE,
  ) {
    this.buffer = allocate(capacity, reserve);
    this.bytes = new Uint8Array(this.buffer, 0, capacity);
  }

  /** Grow to `capacity`, keeping the bytes of positions [liveStart, liveEnd). */
  grow(capacity: number, liveStart: number, liveEnd: number): void {
    if (capacity <= this.capacity) return;
    const buf = this.buffer;
    if (buf.resize !== undefined && (buf.maxByteLength ?? 0) >= capacity) {
      buf.resize(capacity);
      this.relayout(capacity, liveStart, liveEnd);
      return;
    }
    // Straight from the old ring into the new one (no temporary copy of the live bytes: at 8 MiB
    // the temporary was a third of the peak memory of a growing buffer).
    const old = this.bytes;
    const oldCap = this.capacity;
    this.buffer = allocate(capacity, 0);
    const next = new Uint8Array(this.buffer, 0, capacity);
    for (let pos = liveStart; pos < liveEnd; ) {
      const from = pos % oldCap;
      const to = pos % capacity;
      const n = Math.min(liveEnd - pos, oldCap - from, capacity - to);
      next.set(old.subarray(from, from + n), to);
      pos += n;
    }
    this.bytes = next;
    this.capacity = capacity;
  }

  /**
   * The buffer now holds `capacity` bytes, the first `this.capacity` of them the old ring: move
   * each live byte from `pos % oldCap` to `pos % capacity`, in an order where no move overwrites
   * the source of one still to come (at most a few runs; a run is copied aside if they form a cycle).
   */
  private relayout(capacity: number, liveStart: number, liveEnd: number): void {
    const oldCap = this.capacity;
    const bytes = new Uint8Array(this.buffer, 0, capacity);
    const pending: Move[] = [];
    for (let pos = liveStart; pos < liveEnd; ) {
      const from = pos % oldCap;
      const to = pos % capacity;
      const n = Math.min(liveEnd - pos, oldCap - from, capacity - to);
      if (from !== to) pending.push({ from, to, n });
      pos += n;
    }
    const clobbers = (m: Move, other: Move) =>
      other.detached === undefined && m.to < other.from + other.n && other.from < m.to + m.n;
    while (pending.length > 0) {
      const i = pending.findIndex((m) => pending.every((o) => o === m || !clobbers(m, o)));
      if (i < 0) {
        // A cycle: copy one source aside, which frees the move that would overwrite it.
        const m = pending.find((o) => o.detached === undefined) as Move;
        m.detached = bytes.slice(m.from, m.from + m.n);
        continue;
      }
      const m = pending[i] as Move;
      if (m.detached !== undefined) bytes.set(m.detached, m.to);
      else bytes.copyWithin(m.to, m.from, m.from + m.n);
      pending.splice(i, 1);
    }
    this.bytes = bytes;
    this.capacity = capacity;
  }

  /** Copy `src` into positions [pos, pos + src.length). */
  write(pos: number, src: Uint8Array): void {
    const cap = this.capacity;
    const at = pos % cap;
    const first = Math.min(src.length, cap - at);
    this.bytes.set(first === src.length ? src : src.subarray(0, first), at);
    if (first < src.length) this.bytes.set(src.subarray(first), 0);
  }

  /** Copy positions [pos, pos + len) into `dest` at `destOffset`. */
  read(pos: number, len: number, dest: Uint8Array, destOffset: number): void {
    const cap = this.capacity;
    const at = pos % cap;
    const first = Math.min(len, cap - at);
    dest.set(this.bytes.subarray(at, at + first), destOffset);
    if (first < len) dest.set(this.bytes.subarray(0, len - first), destOffset + first);
  }
}
