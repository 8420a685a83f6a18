// Candidate priority, RFC 8445 §5.1.2.1:
//   priority = 2^24 * type preference + 2^8 * local preference + (256 - component ID)
import type { CandidateType } from './candidate.js';

/** RFC 8445 §5.1.2.2 recommended type preferences. */
export const TYPE_PREFERENCE: Record<CandidateType, number> = { host: 126, prflx: 110, srflx: 100, relay: 0 };

/**
 * RFC 8445 §5.1.2.1: priority = 2^24 × type preference + 2^8 × local preference + (256 − component
 * ID).
 */
export function candidatePriority(typePreference: number, localPreference: number, componentId = 1): number {
  // RFC 8445 §5.1.2.1: type preference 0-126, local preference 0-65535, component 1-256.
  if (typePreference < 0 || typePreference > 126) throw new RangeError('type preference out of range');
  if (localPreference < 0 || localPreference > 65535) throw new RangeError('local preference out of range');
  return typePreference * 2 ** 24 + localPreference * 2 ** 8 + (256 - componentId);
}

export interface RankedAddress {
  address: string;
  family: 'IPv4' | 'IPv6';
}

/**
 * Local preferences for a host's addresses, in the order given (best first), with IPv6 and IPv4
 * interleaved as RFC 8421 §4 asks (so that neither family is tried only after the other failed).
 * Leaves room below each value for the transport of relayed candidates (step 8).
 */
export function localPreferences(addresses: RankedAddress[]): Map<string, number> {
  const v6 = addresses.filter((a) => a.family === 'IPv6');
  const v4 = addresses.filter((a) => a.family === 'IPv4');
  const order: RankedAddress[] = [];
  for (let i = 0; i < Math.max(v6.length, v4.length); i++) {
    if (v6[i]) order.push(v6[i]!);
    if (v4[i]) order.push(v4[i]!);
  }
  const out = new Map<string, number>();
  order.forEach((a, rank) => {
    out.set(a.address, Math.max(0, 65535 - rank * 8));
  });
  return out;
}

/** Port-mapped candidates rank just above the STUN-learned one of the same base: the mapping is explicit. */
export const PORT_MAPPED_BONUS = 1;
/** Relayed candidates: UDP to the server above TCP above TLS (RFC 8445 §5.1.2.2 leaves this to the agent). */
export const RELAY_TRANSPORT_PENALTY = { udp: 0, tcp: 2, tls: 4 } as const;
