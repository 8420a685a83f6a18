/**
 * Splits a TCP/TLS byte stream into STUN messages and ChannelData messages.
 *
 * RFC 8489 §6.2.2: over a stream STUN messages are sent back to back and framed by the length
 * field of their 20-byte header. RFC 8656 §12.5: over a stream a ChannelData message is padded to a
 * multiple of 4 bytes, the padding not counted in its length field. Anything else in the stream
 * means the peer is not speaking STUN: the framer reports it and the connection should be closed.
 */
export class StunStreamFramer {
  #buffer: Uint8Array = new Uint8Array(0);
  #broken = false;

  /** Appends bytes and returns every complete message now available (without ChannelData padding). */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#broken) return [];
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer, 0);
    joined.set(chunk, this.#buffer.length);
    const out: Uint8Array[] = [];
    let offset = 0;
    while (joined.length - offset >= 4) {
      const first = joined[offset]!;
      const length = (joined[offset + 2]! << 8) | joined[offset + 3]!;
      let total: number;
      let messageLength: number;
      if (first < 0x40) {
        // A STUN message: two leading zero bits, 20-byte header + length (a multiple of 4).
        if (length % 4 !== 0) return this.#fail(out);
        total = 20 + length;
        messageLength = total;
      } else if (first <= 0x4f) {
        // ChannelData: channel numbers 0x4000-0x4FFF (RFC 8656 §12).
        messageLength = 4 + length;
        total = messageLength + ((4 - (length % 4)) % 4);
      } else {
        return this.#fail(out);
      }
      if (joined.length - offset < total) break;
      out.push(joined.slice(offset, offset + messageLength));
      offset += total;
    }
    this.#buffer = joined.slice(offset);
    return out;
  }

  /** True once the stream held bytes that cannot be STUN or ChannelData. */
  get broken(): boolean {
    return this.#broken;
  }

  /** Bytes buffered waiting for the rest of a message. */
  get pending(): number {
    return this.#buffer.length;
  }

  #fail(out: Uint8Array[]): Uint8Array[] {
    this.#broken = true;
    this.#buffer = new Uint8Array(0);
    return out;
  }
}
