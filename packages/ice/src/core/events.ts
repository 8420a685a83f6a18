import type { RemoteCandidateRefusal, TransportAddress } from './address.js';
import type { Candidate, CandidateType } from './candidate.js';
import type { HardNatEvent } from './hard-nat/driver.js';
import type { PairStats } from './pair.js';

/** The state of the ICE connection as a whole. */
export type IceConnectionState =
  | 'new'
  | 'checking'
  | 'connected'
  | 'completed'
  | 'failed'
  | 'disconnected'
  | 'closed';

/**
 * Why ICE failed: no candidate pairs, every check failed, consent lost (RFC 7675), or no connection
 * in time.
 */
export type IceFailureReason = 'no-pairs' | 'all-checks-failed' | 'consent-lost' | 'timeout';

/** A snapshot of a candidate pair, safe to hand out. */
export interface PairInfo {
  /** The pair's id, stable for its life. */
  id: string;
  /** The data stream. */
  streamId: number;
  /** The component ID. */
  component: number;
  /** The local candidate. */
  local: Candidate;
  /** The remote candidate. */
  remote: Candidate;
  /** The pair priority (RFC 8445 §6.1.2.3). */
  priority: bigint;
  /** The pair state (RFC 8445 §6.1.2.6). */
  state: 'frozen' | 'waiting' | 'in-progress' | 'succeeded' | 'failed';
  /** Whether a check on it succeeded (it is in the valid list). */
  valid: boolean;
  /** Whether it is nominated. */
  nominated: boolean;
  /** Counters of the pair. */
  stats: PairStats;
}

/** What `IceAgent.pollEvent` reports. */
export type IceEvent =
  | {
      /** The connection state changed. */
      type: 'state';
      /** The new state. */
      state: IceConnectionState;
      /** Why, when the new state is 'failed'. */
      reason?: IceFailureReason;
    }
  /** The pair data now goes over; may fire again when a better pair wins. The application always sends on the latest. */
  | {
      /** A pair was selected. */
      type: 'selected-pair';
      /** The data stream. */
      streamId: number;
      /** The component ID. */
      component: number;
      /** The selected pair. */
      pair: PairInfo;
    }
  | {
      /** Application data arrived on a validated pair. */
      type: 'data';
      /** The data stream. */
      streamId: number;
      /** The component ID. */
      component: number;
      /** The datagram. */
      data: Uint8Array;
      /** Where it came from. */
      from: TransportAddress;
    }
  /** A check succeeded and produced this valid pair (RFC 8445 §7.2.5.3.2); it is not yet selected. */
  | {
      /** A valid pair was found. */
      type: 'valid-pair';
      /** The data stream. */
      streamId: number;
      /** The component ID. */
      component: number;
      /** The valid pair. */
      pair: PairInfo;
    }
  /** A peer-reflexive candidate learned from the network (local from a response, remote from a request). */
  | {
      /** A peer-reflexive candidate was learnt (RFC 8445 §7.2.5.3.1, §7.3.1.3). */
      type: 'prflx-candidate';
      /** Whether it is one of ours or the peer's. */
      side: 'local' | 'remote';
      /** The candidate. */
      candidate: Candidate;
    }
  | {
      /** The role changed, after a role conflict (RFC 8445 §7.3.1.1) or `setRole`. */
      type: 'role';
      /** The new role. */
      role: 'controlling' | 'controlled';
    }
  /** A signalled remote candidate was not accepted (a warning: nothing else happens). */
  | {
      /** A signalled remote candidate was refused. */
      type: 'candidate-refused';
      /** The refused candidate. */
      candidate: {
        /** Its type. */
        type: CandidateType;
        /** Its transport address. */
        address: TransportAddress;
        /** Its data stream. */
        streamId: number;
        /** Its component ID. */
        component: number;
      };
      /** Why it was refused. */
      reason: RemoteCandidateRefusal;
    }
  /** The hard-NAT extension: what it decided and tried (agent option hardNat). */
  | HardNatEvent;

/** A datagram the agent wants sent. */
export interface Transmit {
  /** The datagram. */
  data: Uint8Array;
  /** Where to send it. */
  destination: TransportAddress;
  /** The local base to send from (a host socket, or a relayed address to route through TURN). */
  source: TransportAddress;
}
