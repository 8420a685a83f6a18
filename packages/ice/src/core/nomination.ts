// Nomination decisions (RFC 8445 §8), as pure functions of pair states, time and settings: the agent
// asks, then acts (sends the nominating check, marks pairs, switches the selected pair).
import type { PairState } from './pair.js';
import type { IceRole } from './role.js';
import type { IceTimingConfig } from './timing.js';

/** What the nomination decisions read of a candidate pair (`CandidatePair` has it all). */
export interface NominationPair {
  /** Pair priority (RFC 8445 §6.1.2.3). */
  readonly priority: bigint;
  /** Check state (RFC 8445 §6.1.2.6). */
  readonly state: PairState;
  /** When the first check of the current attempt went out. */
  readonly firstCheckAt: number | undefined;
  /** In the valid list (RFC 8445 §7.2.5.3.2). */
  readonly valid: boolean;
  /** Nominated (RFC 8445 §8.1.1). */
  readonly nominated: boolean;
  /** A nominating check is in flight. */
  readonly nominating: boolean;
  /** The ICE generation (restart, RFC 8445 §9) the pair belongs to; compared by identity. */
  readonly generation: unknown;
  /** The valid pair this pair's successful check produced (RFC 8445 §7.2.5.3.2). */
  readonly validPair: NominationPair | undefined;
  /** RTT measured by checks, ms. */
  readonly stats: { readonly rtt: number | undefined; readonly srtt: number | undefined };
}

/** What the controlling agent does about one component now (regular nomination, RFC 8445 §8.1.1). */
export type NominationDecision<P> =
  /** Nothing to nominate: no valid pair, or the best one is nominated, being nominated or selected. */
  | { readonly action: 'none' }
  /** A better pair may still succeed: decide again at `until` (or on any change before). */
  | { readonly action: 'wait'; readonly until: number }
  /** Nominate `pair`: repeat the check that produced it, with USE-CANDIDATE. */
  | { readonly action: 'nominate'; readonly pair: P };

/** Inputs of `regularNomination` for one component of one data stream. */
export interface NominationInput<P extends NominationPair> {
  /** The component's pairs in the check list, in any order. */
  readonly pairs: readonly P[];
  /** The component's selected pair, if any. */
  readonly selected: P | undefined;
  /** The current generation: pairs of another one (before a restart) are not nominated. */
  readonly generation: unknown;
  /** When the first valid pair of this generation appeared (undefined: now). */
  readonly firstValidAt: number | undefined;
  /** Now, ms. */
  readonly now: number;
  /** `ta`, `rivalRtts` and `nominationBudget`. */
  readonly timing: Pick<IceTimingConfig, 'ta' | 'rivalRtts' | 'nominationBudget'>;
}

/**
 * Regular nomination (RFC 8445 §8.1.1) deciding on what is known: the best valid pair is nominated as soon
 * as no better-priority pair can plausibly still succeed. Better pairs already checked for more than
 * `rivalRtts` RTTs of the valid pair (at least Ta) without an answer do not hold it back, nor does anything
 * once `nominationBudget` has passed since the first valid pair. A better pair that succeeds later is
 * nominated too, and the selected pair switches to it (`pairToSelect`).
 */
export function regularNomination<P extends NominationPair>(
  input: NominationInput<P>,
): NominationDecision<P> {
  const { pairs, selected, generation, now, timing } = input;
  let best: P | undefined;
  for (const p of pairs) {
    const v = p.validPair as P | undefined;
    if (v?.valid && v.generation === generation && (!best || v.priority > best.priority)) best = v;
  }
  if (!best || best.nominated || best.nominating) return { action: 'none' };
  if (selected && selected.generation === generation && selected.priority >= best.priority)
    return { action: 'none' };
  const grace = Math.max(timing.rivalRtts * (best.stats.srtt ?? best.stats.rtt ?? 0), timing.ta);
  const budgetEnd = (input.firstValidAt ?? now) + timing.nominationBudget;
  let until = Number.POSITIVE_INFINITY;
  let blocked = false;
  for (const r of pairs) {
    if (r.priority <= best.priority || r.validPair === best) continue;
    if (r.state === 'failed' || r.state === 'succeeded') continue;
    if (r.state === 'in-progress' && r.firstCheckAt !== undefined) {
      // A better pair in progress holds nomination back for `grace` after its first check.
      const giveUpAt = r.firstCheckAt + grace;
      if (now < giveUpAt && now < budgetEnd) {
        blocked = true;
        until = Math.min(until, giveUpAt, budgetEnd);
      }
    } else if (now < budgetEnd) {
      // A better pair not checked yet (Frozen or Waiting) holds it back until the budget ends.
      blocked = true;
      until = Math.min(until, budgetEnd);
    }
  }
  return blocked ? { action: 'wait', until } : { action: 'nominate', pair: best };
}

/**
 * Whether a check we send asks to nominate its pair: when the agent nominates (RFC 8445 §8.1.1) or,
 * with aggressive nomination (RFC 5245 §8.1.1.2), on every connectivity check. Consent checks never
 * do (RFC 7675 §5.1). The request carries USE-CANDIDATE only when sent by the controlling agent
 * (RFC 8445 §7.1.2, `buildCheckRequest`).
 */
export function checkNominates(check: {
  readonly nominate: boolean;
  readonly aggressive: boolean;
  readonly kind: 'check' | 'consent';
}): boolean {
  return check.nominate || (check.aggressive && check.kind === 'check');
}

/**
 * Whether a successful check nominates the pair: one we sent with USE-CANDIDATE as the controlling
 * agent (RFC 8445 §8.1.1, §7.2.5.3.4), or, on the controlled side, a check whose pair the peer
 * nominated while the check was pending (RFC 8445 §7.3.1.5).
 */
export function successNominates(check: {
  readonly sentUseCandidate: boolean;
  readonly sentAsControlling: boolean;
  readonly nominateOnSuccess: boolean;
}): boolean {
  return (check.sentUseCandidate && check.sentAsControlling) || check.nominateOnSuccess;
}

/**
 * A check with USE-CANDIDATE arrived on a pair. RFC 8445 §7.3.1.5: the controlled agent nominates a
 * pair whose check already succeeded now, and otherwise when its (triggered) check succeeds; the
 * controlling agent ignores it (only the controlling agent nominates, RFC 8445 §8.1).
 */
export function onUseCandidate(
  role: IceRole,
  pairState: PairState,
): 'ignore' | 'nominate' | 'nominate-on-success' {
  if (role !== 'controlled') return 'ignore';
  return pairState === 'succeeded' ? 'nominate' : 'nominate-on-success';
}

/**
 * Whether a check on a pair being nominated repeats the nomination (USE-CANDIDATE): the controlling
 * agent's, when a triggered check replaces its nominating check (RFC 8445 §7.3.1.4, §8.1.1); a
 * controlled agent (after a role switch) never nominates.
 */
export function repeatsNomination(role: IceRole, nominating: boolean): boolean {
  return nominating && role === 'controlling';
}

/**
 * After nomination a pair worse than the nominated, selected one is not worth a check (RFC 8445 §8.1.2:
 * once a pair is nominated, the agent may stop checking lower-priority pairs of the component).
 */
export function outrankedByNominated(
  pair: Pick<NominationPair, 'priority'>,
  selected: Pick<NominationPair, 'priority' | 'nominated' | 'generation'> | undefined,
  generation: unknown,
): boolean {
  return (
    !!selected &&
    selected.nominated &&
    selected.generation === generation &&
    pair.priority < selected.priority
  );
}

/**
 * The pair to select for a component, or undefined to keep the current one: the highest-priority
 * nominated valid pair of the current generation (RFC 8445 §8.1.1: the agent uses the nominated pair
 * of the highest priority), when it differs from the selected pair and beats it — or the selected pair
 * is from before a restart (RFC 8445 §9) or was not nominated.
 */
export function pairToSelect<P extends NominationPair>(
  pairs: readonly P[],
  selected: P | undefined,
  generation: unknown,
): P | undefined {
  let best: P | undefined;
  for (const p of pairs) {
    const v = p.validPair as P | undefined;
    if (v?.nominated && v.valid && v.generation === generation && (!best || v.priority > best.priority))
      best = v;
  }
  if (!best || best === selected) return undefined;
  if (
    !selected ||
    selected.generation !== generation ||
    best.priority > selected.priority ||
    !selected.nominated
  )
    return best;
  return undefined;
}
