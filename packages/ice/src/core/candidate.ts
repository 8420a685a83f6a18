// The candidate model (type, type preferences, the RFC 8445 §5.1.2.1 priority formula) is the
// gather package's: one definition for gathering and checks. `@p2pcat/gather/core` loads no
// `node:` builtin, so this core stays free of them.
import type { CandidateAttributes, CandidateType } from '@p2pcat/gather/core';
import type { TransportAddress } from './address.js';

export {
  type CandidateAttributes,
  type CandidateType,
  candidatePriority,
  localPreferenceOf,
  TYPE_PREFERENCE,
} from '@p2pcat/gather/core';

/** A local or remote candidate as the agent keeps it (RFC 8445 §5.1). Transport is always UDP here. */
export interface Candidate extends CandidateAttributes {
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
  /** RFC 8839 raddr/rport: the base of a reflexive candidate, the mapped address of a relayed one. */
  readonly relatedAddress?: TransportAddress;
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
