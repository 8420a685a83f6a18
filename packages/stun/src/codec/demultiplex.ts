import { isStunMessage } from './header.js';

/**
 * RFC 7983 §7: first byte 0..3 is STUN, 64..79 TURN ChannelData; everything else is the
 * application's. The first byte alone is not enough (libnice pseudo-TCP segments start with a
 * zero conversation id), so 'stun' also needs the cookie and a consistent length, and
 * 'channel-data' a length that fits the datagram (with at most 3 bytes of padding).
 */
export function demultiplex(bytes: Uint8Array): 'stun' | 'channel-data' | 'application' {
  const first = bytes[0];
  if (first === undefined) return 'application';
  if (first < 4) return isStunMessage(bytes) ? 'stun' : 'application';
  if (first >= 64 && first <= 79 && bytes.length >= 4) {
    const length = ((bytes[2] as number) << 8) | (bytes[3] as number);
    if (4 + length <= bytes.length && bytes.length <= 4 + ((length + 3) & ~3)) return 'channel-data';
  }
  return 'application';
}
