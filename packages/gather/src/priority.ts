// Candidate priority, RFC 8445 §5.1.2.1, the one implementation of the toolkit (@p2pcat/ice's
// agent uses it through @p2pcat/gather/core):
//   priority = 2^24 * type preference + 2^8 * local preference + (256 - component ID)
import type { CandidateType } from './candidate.js';

/** RFC 8445 §5.1.2.2 recommended type preferences. */
export const TYPE_PREFERENCE: Readonly<Record<CandidateType, number>> = {
  host: 126,
  prflx: 110,
  srflx: 100,
  relay: 0,
};

/**
 * RFC 8445 §5.1.2.1 priority of a candidate of `type` (its TYPE_PREFERENCE), local preference
 * 0..65535 (65535 when single-homed) and component ID 1..256. Out-of-range values throw RangeError.
 */
export function candidatePriority(type: CandidateType, localPreference: number, component = 1): number {
  const typePreference = TYPE_PREFERENCE[type];
  if (typePreference === undefined) throw new RangeError(`unknown candidate type "${type}"`);
  if (!Number.isInteger(localPreference) || localPreference < 0 || localPreference > 65535)
    throw new RangeError(`local preference ${localPreference} out of range 0..65535`);
  if (!Number.isInteger(component) || component < 1 || component > 256)
    throw new RangeError(`component ${component} out of range 1..256`);
  return typePreference * 2 ** 24 + localPreference * 2 ** 8 + (256 - component);
}

/** The local preference inside a priority (bits 8..23): to recompute it for another type (prflx). */
export function localPreferenceOf(priority: number): number {
  return Math.floor(priority / 2 ** 8) & 0xffff;
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
