import { StunDecodeError } from './errors.js';

/** RFC 8656 §12: channel numbers 0x4000 through 0x4FFF. */
export const MIN_CHANNEL = 0x4000;
export const MAX_CHANNEL = 0x4fff;

/**
 * RFC 8656 §12.4: 16-bit channel number, 16-bit length, data; padded to a multiple of 4 when
 * `pad` (required over TCP/TLS, §12.5; optional over UDP).
 */
export function encodeChannelData(
  channel: number,
  data: Uint8Array,
  options: { pad?: boolean } = {},
): Uint8Array {
  if (!Number.isInteger(channel) || channel < MIN_CHANNEL || channel > MAX_CHANNEL) {
    throw new RangeError(`channel number ${channel} is outside 0x4000..0x4FFF`);
  }
  if (data.length > 0xffff)
    throw new RangeError(`ChannelData carries at most 65535 bytes, got ${data.length}`);
  const total = 4 + (options.pad ? (data.length + 3) & ~3 : data.length);
  const out = new Uint8Array(total);
  out[0] = channel >>> 8;
  out[1] = channel;
  out[2] = data.length >>> 8;
  out[3] = data.length;
  out.set(data, 4);
  return out;
}

/** Decodes one ChannelData message; trailing padding (up to 3 bytes) is allowed. */
export function decodeChannelData(bytes: Uint8Array): {
  /** The channel number, 0x4000..0x4fff. */
  channel: number;
  /** The application data. */
  data: Uint8Array;
} {
  if (bytes.length < 4)
    throw new StunDecodeError('bad-channel-data', 'ChannelData shorter than its 4-byte header');
  const channel = ((bytes[0] as number) << 8) | (bytes[1] as number);
  if (channel < MIN_CHANNEL || channel > MAX_CHANNEL) {
    throw new StunDecodeError(
      'bad-channel-data',
      `channel number 0x${channel.toString(16)} is outside 0x4000..0x4FFF`,
    );
  }
  const length = ((bytes[2] as number) << 8) | (bytes[3] as number);
  if (4 + length > bytes.length) {
    throw new StunDecodeError(
      'bad-channel-data',
      `ChannelData length ${length} runs past the ${bytes.length} bytes`,
    );
  }
  if (bytes.length > 4 + ((length + 3) & ~3)) {
    throw new StunDecodeError('bad-channel-data', 'ChannelData has bytes after its padding');
  }
  return { channel, data: bytes.subarray(4, 4 + length) };
}
