import type { TransportAddress } from './address.js';

/** Candidate types of RFC 8445 §5.1.1: host, server-reflexive, peer-reflexive, relayed. */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** A local or remote candidate (RFC 8445 §5.1). Transport is always UDP here. */
export interface Candidate {
  /** Agent-local id, stable for the life of the candidate. */
  readonly id: string;
  /** The data stream it belongs to. */
  readonly streamId: number;
  /** The component ID. */
  readonly component: number;
  /** The candidate type. */
  readonly type: CandidateType;
  /** The candidate's transport address. */
  readonly address: TransportAddress;
  /** RFC 8445 §5.1.1.1: the address the agent sends from (host for srflx/prflx, itself for relay). */
  readonly base: TransportAddress;
  /** The candidate priority (RFC 8445 §5.1.2). */
  readonly priority: number;
  /** The foundation (RFC 8445 §5.1.1.3). */
  readonly foundation: string;
  /** raddr/rport: the related address, if any. */
  readonly relatedAddress?: TransportAddress;
}

/** RFC 8445 §5.1.2.2 recommended type preferences. */
export const TYPE_PREFERENCE: Record<CandidateType, number> = {
  host: 126,
  prflx: 110,
  srflx: 100,
  relay: 0,
};

/**
 * RFC 8445 §5.1.2.1: priority = 2^24 * type preference + 2^8 * local preference + (256 - component ID).
 * localPreference 0..65535 (65535 when single-homed).
 */
export function candidatePriority(type: CandidateType, localPreference: number, component: number): number {
  return TYPE_PREFERENCE[type] * 2 ** 24 + (localPreference & 0xffff) * 2 ** 8 + (256 - component);
}

/** Local preference of a priority (to recompute it with another type, e.g. the PRIORITY attribute). */
export function localPreferenceOf(priority: number): number {
  return Math.floor(priority / 2 ** 8) & 0xffff;
}

/**
 * RFC 8445 §5.1.1.3: same foundation when same type, same base IP, same server IP and same transport.
 * Returns the key; the agent maps keys to short foundation strings.
 */
export function foundationKey(
  type: CandidateType,
  base: TransportAddress,
  server?: TransportAddress,
): string {
  return `${type}|${base.address}|${server?.address ?? ''}|udp`;
}
