import { describe, expect, it } from 'vitest';
import { consentDelay, consentTimerAction, consentVerdict, consentVerdictChangesAt } from './consent.js';
import { DEFAULT_TIMING } from './timing.js';

const timing = DEFAULT_TIMING; // consentInterval 5 s, consentTimeout 30 s, disconnectedTimeout 12 s

describe('consentVerdict', () => {
  it.each([
    // [section, last answer, now, verdict]
    ['RFC 7675 §5.1: just answered', 0, 0, 'fresh'],
    ['RFC 7675 §5.1: answered within the check interval', 0, 5_000, 'fresh'],
    ['RFC 7675 §5.1: still granted (disconnected only past 12 s)', 0, 12_000, 'fresh'],
    ['RFC 7675 §5.1: still granted, but silent for over 12 s: disconnected', 0, 12_001, 'stale'],
    ['RFC 7675 §5.1: Consent_Timeout not yet passed', 1_000, 31_000, 'stale'],
    [
      'RFC 7675 §5.1: no answer for over Consent_Timeout (30 s): consent lost, sending stops',
      1_000,
      31_001,
      'expired',
    ],
  ] as const)('%s', (_s, last, now, verdict) => {
    expect(consentVerdict(last, now, timing)).toBe(verdict);
  });

  it.each([
    // [section, last answer, disconnected, changes at]
    ['RFC 7675 §5.1: connected, the next change is disconnection', 1_000, false, 13_001],
    ['RFC 7675 §5.1: disconnected, the next change is expiry', 1_000, true, 31_001],
  ] as const)('consentVerdictChangesAt: %s', (_s, last, disconnected, at) => {
    expect(consentVerdictChangesAt(last, disconnected, timing)).toBe(at);
    expect(consentVerdict(last, at - 1, timing)).toBe(disconnected ? 'stale' : 'fresh');
    expect(consentVerdict(last, at, timing)).toBe(disconnected ? 'expired' : 'stale');
  });
});

describe('consent checks', () => {
  it.each([
    // [section, now, next consent check at, action]
    ['RFC 7675 §5.1: no check planned: plan one', 100, undefined, 'schedule'],
    ['RFC 7675 §5.1: not due yet', 100, 4_000, 'wait'],
    ['RFC 7675 §5.1: due: send a Binding request on the pair', 4_000, 4_000, 'send'],
    ['RFC 7675 §5.1: overdue: send', 4_500, 4_000, 'send'],
  ] as const)('consentTimerAction: %s', (_s, now, nextAt, action) => {
    expect(consentTimerAction(now, nextAt)).toBe(action);
  });

  it.each([
    // [section, random01, delay]
    ['RFC 7675 §5.1: randomised interval, low end 0.8 x 5 s', 0, 4_000],
    ['RFC 7675 §5.1: randomised interval, middle', 0.5, 5_000],
    ['RFC 7675 §5.1: randomised interval, high end toward 1.2 x 5 s', 0.999, 5_998],
  ] as const)('consentDelay: %s', (_s, random01, delay) => {
    expect(consentDelay(timing, random01)).toBeCloseTo(delay, 0);
  });
});
