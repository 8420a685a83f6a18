// Consent freshness (RFC 7675) decisions, as pure functions of time and settings: the agent asks,
// then acts (sends the consent check, reports 'disconnected', fails with 'consent-lost').
import type { IceTimingConfig } from './timing.js';

/** What consent freshness says about the pair in use. */
export type ConsentVerdict =
  /** An authenticated answer came recently enough. */
  | 'fresh'
  /** No answer for `disconnectedTimeout`: report 'disconnected' (it may still come back). */
  | 'stale'
  /** No answer for `consentTimeout`: consent is lost and sending MUST stop (RFC 7675 §5.1). */
  | 'expired';

/** The settings consent reads. */
export type ConsentTiming = Pick<
  IceTimingConfig,
  'consentInterval' | 'consentTimeout' | 'disconnectedTimeout'
>;

/**
 * The state of consent on a pair whose last authenticated answer (or validation) came at
 * `lastConsentAt` (RFC 7675 §5.1: consent expires Consent_Timeout, 30 s, after it).
 */
export function consentVerdict(lastConsentAt: number, now: number, timing: ConsentTiming): ConsentVerdict {
  const silence = now - lastConsentAt;
  if (silence > timing.consentTimeout) return 'expired';
  if (silence > timing.disconnectedTimeout) return 'stale';
  return 'fresh';
}

/**
 * When `consentVerdict` next changes for a pair answered at `lastConsentAt` (1 ms past each timeout,
 * since a verdict changes once the silence exceeds it); a pair already reported disconnected only
 * waits for expiry.
 */
export function consentVerdictChangesAt(
  lastConsentAt: number,
  disconnected: boolean,
  timing: ConsentTiming,
): number {
  const expiry = lastConsentAt + timing.consentTimeout + 1;
  return disconnected ? expiry : Math.min(expiry, lastConsentAt + timing.disconnectedTimeout + 1);
}

/**
 * What the consent timer of a component does now: `schedule` a first consent check (none is planned),
 * `send` one (it is due), or `wait`. RFC 7675 §5.1: a consent check every `consentInterval`, randomised.
 */
export function consentTimerAction(now: number, nextAt: number | undefined): 'schedule' | 'send' | 'wait' {
  if (nextAt === undefined) return 'schedule';
  return now >= nextAt ? 'send' : 'wait';
}

/**
 * RFC 7675 §5.1: the interval to the next consent check, randomised uniformly between 0.8 and 1.2
 * times the base (`random01` in [0, 1)) so that agents do not synchronise.
 */
export function consentDelay(timing: Pick<IceTimingConfig, 'consentInterval'>, random01: number): number {
  return timing.consentInterval * (0.8 + 0.4 * random01);
}
