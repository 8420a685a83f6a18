import { retransmissionWait } from '@p2pcat/stun/core';

/** Settings of the agent with the RFC's reason for each default. */
export interface IceTimingConfig {
  /** RFC 8445 §14.2: Ta, the pacing of new checks across all check lists; default 50 ms, MUST be configurable. */
  ta: number;
  /** RFC 8445 §14.3: RTO of a check = MAX(rtoMin, N * Ta * (Num-Waiting + Num-In-Progress)); rtoMin 500 ms by default. */
  rtoMin: number;
  /** RFC 8489 §6.2.1: Rc, the number of requests sent for one check before it fails (default 7). */
  maxCheckRequests: number;
  /** RFC 8489 §6.2.1: Rm, the last wait is Rm * RTO (default 16). */
  rm: number;
  /** RFC 7675 §5.1: consent checks every 5 s, randomised 0.8..1.2 to avoid synchronisation. */
  consentInterval: number;
  /** RFC 7675 §5.1: consent expires 30 s after the last authenticated response (Consent_Timeout). */
  consentTimeout: number;
  /** Report 'disconnected' when no consent response came for this long (recoverable, unlike consentTimeout). */
  disconnectedTimeout: number;
  /** Give up with reason 'timeout' when nothing connected within this time after checks started. */
  connectTimeout: number;
  /**
   * Nominate the best valid pair at the latest this long after the first valid pair appeared, even if
   * better-priority pairs are still waiting to be checked (they can still win later).
   */
  nominationBudget: number;
  /**
   * A better pair in progress is considered unlikely to succeed after max(rivalRtts * RTT of the valid pair, Ta)
   * since its first check. Better pairs are usually shorter paths (host pairs on a LAN) whose RTT is well
   * below the valid pair's, so two of its RTTs leave ample margin.
   */
  rivalRtts: number;
  /**
   * Upper bound of the wait between two transmissions of one check (default: none, the RFC schedule).
   * With a cap and a large maxCheckRequests a check keeps going at a steady pace, which keeps NAT
   * bindings open while the peer's answer is still on its way through a human (p2pcat's joiner).
   */
  maxRetransmitInterval: number;
  /**
   * Aggregate budget of check retransmissions, requests per second across all pairs and streams
   * (default 4). First transmissions are paced by Ta (RFC 8445 §6.1.4.2), so the first round is
   * untouched; nomination and consent requests are exempt. A due retransmission over budget waits
   * for a token (longest-waiting first). Infinity = no budget.
   */
  checkRetransmitRate: number;
  /** Tokens the budget starts with and can save up (default 40): a normal connect never waits for one. */
  checkRetransmitBurst: number;
}

/** The defaults of `IceTimingConfig`. */
export const DEFAULT_TIMING: IceTimingConfig = {
  ta: 50,
  rtoMin: 500,
  maxCheckRequests: 7,
  rm: 16,
  consentInterval: 5_000,
  consentTimeout: 30_000,
  disconnectedTimeout: 12_000,
  connectTimeout: 30_000,
  nominationBudget: 1_000,
  rivalRtts: 2,
  maxRetransmitInterval: Number.POSITIVE_INFINITY,
  checkRetransmitRate: 4,
  checkRetransmitBurst: 40,
};

/** RFC 8445 §14.3 RTO for a new check. */
export function checkRto(
  cfg: IceTimingConfig,
  checkLists: number,
  waiting: number,
  inProgress: number,
): number {
  return Math.max(cfg.rtoMin, checkLists * cfg.ta * (waiting + inProgress));
}

/**
 * Wait (ms) after the nth transmission of a check (1-based `requestsSent`) before the next one, or
 * before it fails after the last: the STUN transaction schedule (RFC 8489 §6.2.1, doubling from the
 * check's RTO, Rm times RTO at the end) of `@p2pcat/stun`, capped by `maxRetransmitInterval`.
 */
export function retransmitWait(
  cfg: Pick<IceTimingConfig, 'rm' | 'maxRetransmitInterval'>,
  rto: number,
  requestsSent: number,
  maxRequests: number,
): number {
  return retransmissionWait(requestsSent, {
    rto,
    rc: maxRequests,
    rm: cfg.rm,
    maxInterval: cfg.maxRetransmitInterval,
  });
}
