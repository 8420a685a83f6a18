// RFC 8656 §12.5 / RFC 8489 §6.2.2: over TCP and TLS, STUN messages and ChannelData follow each other on
// the stream with no extra framing; ChannelData is padded to a multiple of 4 bytes, STUN messages always are.

export class StreamFramingError extends Error {
  override readonly name = 'StreamFramingError';
}

/** Cuts a byte stream from the TURN server into whole STUN messages and (unpadded) ChannelData frames. */
export class StreamDeframer {
  private buffer = new Uint8Array(0);
  private start = 0;
  private end = 0;

  /** Appends bytes; returns the complete frames. Throws StreamFramingError when the stream is not TURN. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.append(chunk);
    const frames: Uint8Array[] = [];
    for (;;) {
      const available = this.end - this.start;
      if (available < 4) break;
      const first = this.buffer[this.start]!;
      const length = (this.buffer[this.start + 2]! << 8) | this.buffer[this.start + 3]!;
      let frameLength: number;
      let total: number;
      if (first < 0x40) {
        if ((first & 0xc0) !== 0 || length % 4 !== 0) throw new StreamFramingError('not a STUN message');
        frameLength = 20 + length;
        total = frameLength;
      } else if (first <= 0x4f) {
        frameLength = 4 + length;
        total = 4 + ((length + 3) & ~3);
      } else {
        throw new StreamFramingError(`unexpected first byte 0x${first.toString(16)} on the TURN stream`);
      }
      if (available < total) break;
      frames.push(this.buffer.slice(this.start, this.start + frameLength));
      this.start += total;
    }
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
    return frames;
  }

  private append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buffer.length) {
      const live = this.end - this.start;
      const size = Math.max(live + chunk.length, this.buffer.length * 2, 4096);
      const next = new Uint8Array(size);
      next.set(this.buffer.subarray(this.start, this.end));
      this.buffer = next;
      this.start = 0;
      this.end = live;
    }
    this.buffer.set(chunk, this.end);
    this.end += chunk.length;
  }
}
