/**
 * Splits a TCP/TLS byte stream into STUN messages and ChannelData messages.
 *
 * RFC 4571 / RFC 8489 §6.2.2: over a stream STUN messages are sent back to back and framed by the
 * length field of their 20-byte header (always a multiple of 4). RFC 8656 §12.5: over a stream a
 * ChannelData message is padded to a multiple of 4 bytes, the padding not counted in its length
 * field. Anything else in the stream means the peer is not speaking STUN: the framer marks itself
 * {@link StunStreamFramer.broken} and the connection should be closed.
 *
 * This is the one stream framer of the project: the STUN stream client and server and the TURN
 * socket's TCP/TLS transport all use it.
 *
 * @example
 * ```ts
 * const framer = new StunStreamFramer();
 * socket.on('data', (chunk) => {
 *   for (const message of framer.push(chunk)) handle(message);
 *   if (framer.broken) socket.destroy();
 * });
 * ```
 */
export class StunStreamFramer {
  #buffer: Uint8Array = new Uint8Array(0);
  #start = 0;
  #end = 0;
  #broken = false;

  /**
   * Appends bytes and returns every complete message now available: STUN messages whole, ChannelData
   * without its padding. Each returned message is a copy the caller may keep. After the stream breaks
   * it returns the messages completed before the bad bytes, then nothing.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#broken) return [];
    this.#append(chunk);
    const out: Uint8Array[] = [];
    const buffer = this.#buffer;
    while (this.#end - this.#start >= 4) {
      const first = buffer[this.#start]!;
      const length = (buffer[this.#start + 2]! << 8) | buffer[this.#start + 3]!;
      let total: number;
      let messageLength: number;
      if (first < 0x40) {
        // A STUN message (two leading zero bits, RFC 7983): 20-byte header + length, a multiple of 4.
        if (length % 4 !== 0) return this.#fail(out);
        total = 20 + length;
        messageLength = total;
      } else if (first <= 0x4f) {
        // ChannelData: channel numbers 0x4000-0x4FFF (RFC 8656 §12), padded to 4 on a stream (§12.5).
        messageLength = 4 + length;
        total = 4 + ((length + 3) & ~3);
      } else {
        return this.#fail(out);
      }
      if (this.#end - this.#start < total) break;
      out.push(buffer.slice(this.#start, this.#start + messageLength));
      this.#start += total;
    }
    if (this.#start === this.#end) {
      this.#start = 0;
      this.#end = 0;
    }
    return out;
  }

  /** True once the stream held bytes that cannot be STUN or ChannelData. */
  get broken(): boolean {
    return this.#broken;
  }

  /** Bytes buffered waiting for the rest of a message. */
  get pending(): number {
    return this.#end - this.#start;
  }

  #append(chunk: Uint8Array): void {
    if (this.#end + chunk.length > this.#buffer.length) {
      const live = this.#end - this.#start;
      const next = new Uint8Array(Math.max(live + chunk.length, this.#buffer.length * 2, 4096));
      next.set(this.#buffer.subarray(this.#start, this.#end));
      this.#buffer = next;
      this.#start = 0;
      this.#end = live;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  #fail(out: Uint8Array[]): Uint8Array[] {
    this.#broken = true;
    this.#buffer = new Uint8Array(0);
    this.#start = 0;
    this.#end = 0;
    return out;
  }
}
