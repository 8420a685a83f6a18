import type { TransportAddress } from '../codec/index.js';
import { StunMessageBuilder } from '../codec/index.js';

// Sizes on the wire, so a response can be kept within the size of the request that caused it.
// No unauthenticated answer may be larger than its request (a spoofed source would otherwise turn
// the server into an amplifier, RFC 8489 §16.1.2), except the Binding success response RFC 5780
// §6.1 requires.

export const HEADER = 20;
/** ERROR-CODE with an empty reason phrase: attribute header, 4 bytes of class/number. */
const ERROR_CODE_BARE = 8;
const FINGERPRINT = 8;

/** A whole attribute (header, value, padding to 4). */
export function attributeSize(valueLength: number): number {
  return 4 + ((valueLength + 3) & ~3);
}

/** MAPPED-ADDRESS, XOR-MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS: 12 bytes (IPv4) or 24. */
export function addressAttributeSize(a: TransportAddress): number {
  return attributeSize(a.family === 'IPv6' ? 20 : 8);
}

const utf8 = new TextEncoder();

export interface BoundedErrorSpec {
  method: number;
  transactionId: Uint8Array;
  code: number;
  /** ASCII: it is cut to fit. */
  reason: string;
  /** 420: the unknown comprehension-required attribute types, listed as far as they fit. */
  unknown?: readonly number[];
  fingerprint: boolean;
  software?: string | undefined;
}

/**
 * An error response of at most `budget` bytes, or undefined when even a bare ERROR-CODE does not
 * fit (28 bytes). What fits goes in, in this order: ERROR-CODE (reason phrase cut to what is left
 * over), as many UNKNOWN-ATTRIBUTES entries as fit (RFC 8489 §14.13: a 420 MUST list them),
 * FINGERPRINT when the request had one (RFC 8489 §7.3: a multiplexing client needs it), the
 * reason phrase, SOFTWARE.
 */
export function buildBoundedError(spec: BoundedErrorSpec, budget: number): Uint8Array | undefined {
  let rest = budget - HEADER - ERROR_CODE_BARE;
  if (rest < 0) return undefined;
  let unknown: number[] | undefined;
  if (spec.unknown !== undefined && spec.unknown.length > 0 && rest >= 8) {
    // Two bytes per entry, padded to 4: (rest - 4) rounded down to 4 holds that many pairs.
    const entries = Math.min(spec.unknown.length, ((rest - 4) & ~3) / 2);
    unknown = spec.unknown.slice(0, entries);
    rest -= attributeSize(entries * 2);
  }
  const fingerprint = spec.fingerprint && rest >= FINGERPRINT;
  if (fingerprint) rest -= FINGERPRINT;
  const reason = spec.reason.slice(0, Math.max(0, rest & ~3));
  rest -= (reason.length + 3) & ~3;
  const builder = new StunMessageBuilder('error', spec.method, spec.transactionId).add('ERROR_CODE', {
    code: spec.code,
    reason,
  });
  if (unknown !== undefined) builder.add('UNKNOWN_ATTRIBUTES', unknown);
  if (spec.software !== undefined && attributeSize(utf8.encode(spec.software).length) <= rest)
    builder.add('SOFTWARE', spec.software);
  return builder.build({ fingerprint });
}
