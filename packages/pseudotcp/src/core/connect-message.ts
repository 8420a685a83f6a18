// The CONNECT control message carried in a CTL segment's payload: control code 0 followed by
// options `kind, len, value[len]` (docs/pseudotcp-wire.md, "Connect message").

export const CTL_CONNECT = 0;
export const OPT_EOL = 0;
export const OPT_NOOP = 1;
export const OPT_MSS = 2;
export const OPT_WND_SCALE = 3;
export const OPT_FIN_ACK = 254;
/**
 * Ours, not libnice's (kind 253, an experimental TCP option kind, RFC 4727 §7.2): "my pure ACKs
 * carry echo ranges and I read yours" (`echo-range.ts`). libnice and libjingle skip unknown kinds.
 */
export const OPT_ECHO_RANGE = 253;

export interface ConnectOptions {
  /** Window-scale shift, or undefined when the option is absent. */
  windowScale: number | undefined;
  /** The peer announced FIN-ACK support (libnice option 254). */
  finAck: boolean;
  /** The peer announced echo ranges (OPT_ECHO_RANGE). */
  echoRange: boolean;
}

/**
 * libnice: `00 03 01 SS FE 01 00`; without FIN-ACK (libjingle): `00 03 01 SS`; with echo ranges
 * `FD 00` follows.
 */
export function encodeConnect(windowScale: number, finAck: boolean, echoRange = false): Uint8Array {
  const out = [CTL_CONNECT, OPT_WND_SCALE, 1, windowScale & 0xff];
  if (finAck) out.push(OPT_FIN_ACK, 1, 0);
  if (echoRange) out.push(OPT_ECHO_RANGE, 0);
  return Uint8Array.from(out);
}

/** Parse the options after the control code. Unknown kinds are skipped; a truncated option ends parsing. */
export function parseConnectOptions(options: Uint8Array): ConnectOptions {
  const result: ConnectOptions = { windowScale: undefined, finAck: false, echoRange: false };
  let pos = 0;
  while (pos < options.length) {
    const kind = options[pos++] as number;
    if (kind === OPT_EOL) break;
    if (kind === OPT_NOOP) continue;
    const len = options[pos++];
    if (len === undefined || len > options.length - pos) break;
    const value = options.subarray(pos, pos + len);
    pos += len;
    if (kind === OPT_WND_SCALE && len === 1) result.windowScale = value[0] as number;
    else if (kind === OPT_FIN_ACK) result.finAck = true;
    else if (kind === OPT_ECHO_RANGE) result.echoRange = true;
    // OPT_MSS is accepted and ignored, as libnice does; other kinds are skipped.
  }
  return result;
}
