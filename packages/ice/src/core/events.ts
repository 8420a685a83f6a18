import type { RemoteCandidateRefusal, TransportAddress } from './address.js';
import type { Candidate, CandidateType } from './candidate.js';
import type { HardNatEvent } from './hard-nat/driver.js';
import type { PairStats } from './pair.js';

export type IceConnectionState =
  | 'new'
  | 'checking'
  | 'connected'
  | 'completed'
  | 'failed'
  | 'disconnected'
  | 'closed';

export type IceFailureReason = 'no-pairs' | 'all-checks-failed' | 'consent-lost' | 'timeout';

/** A snapshot of a candidate pair, safe to hand out. */
export interface PairInfo {
  id: string;
  streamId: number;
  component: number;
  local: Candidate;
  remote: Candidate;
  priority: bigint;
  state: 'frozen' | 'waiting' | 'in-progress' | 'succeeded' | 'failed';
  valid: boolean;
  nominated: boolean;
  stats: PairStats;
}

export type IceEvent =
  | { type: 'state'; state: IceConnectionState; reason?: IceFailureReason }
  /** The pair data now goes over; may fire again when a better pair wins. The application always sends on the latest. */
  | { type: 'selected-pair'; streamId: number; component: number; pair: PairInfo }
  | { type: 'data'; streamId: number; component: number; data: Uint8Array; from: TransportAddress }
  /** A check succeeded and produced this valid pair (RFC 8445 §7.2.5.3.2); it is not yet selected. */
  | { type: 'valid-pair'; streamId: number; component: number; pair: PairInfo }
  /** A peer-reflexive candidate learned from the network (local from a response, remote from a request). */
  | { type: 'prflx-candidate'; side: 'local' | 'remote'; candidate: Candidate }
  | { type: 'role'; role: 'controlling' | 'controlled' }
  /** A signalled remote candidate was not accepted (a warning: nothing else happens). */
  | {
      type: 'candidate-refused';
      candidate: { type: CandidateType; address: TransportAddress; streamId: number; component: number };
      reason: RemoteCandidateRefusal;
    }
  /** The hard-NAT extension: what it decided and tried (agent option hardNat). */
  | HardNatEvent;

export interface Transmit {
  data: Uint8Array;
  destination: TransportAddress;
  /** The local base to send from (a host socket, or a relayed address to route through TURN). */
  source: TransportAddress;
}
