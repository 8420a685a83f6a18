import { describe, expect, it } from 'vitest';
import {
  checkNominates,
  type NominationPair,
  onUseCandidate,
  outrankedByNominated,
  pairToSelect,
  regularNomination,
  repeatsNomination,
  successNominates,
} from './nomination.js';
import type { PairState } from './pair.js';

const GEN = { index: 0 };
const OLD = { index: -1 };
const timing = { ta: 50, rivalRtts: 2, nominationBudget: 1000 };

interface TestPair extends NominationPair {
  name: string;
  validPair: TestPair | undefined;
}

/** A pair in the check list; `valid` makes it its own valid pair. */
function pair(
  name: string,
  priority: number,
  state: PairState,
  extra: Partial<Omit<TestPair, 'priority'>> = {},
): TestPair {
  const p: TestPair = {
    name,
    priority: BigInt(priority),
    state,
    firstCheckAt: undefined,
    valid: false,
    nominated: false,
    nominating: false,
    generation: GEN,
    validPair: undefined,
    stats: { rtt: 10, srtt: 10 },
    ...extra,
  };
  if (p.valid) p.validPair = p;
  return p;
}

type Row = [
  section: string,
  what: string,
  pairs: TestPair[],
  selected: string | undefined,
  now: number,
  expected: { action: 'none' } | { action: 'wait'; until: number } | { action: 'nominate'; pair: string },
];

const rows: Row[] = [
  [
    'RFC 8445 §8.1.1',
    'no valid pair: nothing to nominate',
    [pair('a', 9, 'in-progress')],
    undefined,
    0,
    { action: 'none' },
  ],
  [
    'RFC 8445 §8.1.1',
    'the only pair is valid: nominate it',
    [pair('a', 9, 'succeeded', { valid: true })],
    undefined,
    0,
    { action: 'nominate', pair: 'a' },
  ],
  [
    'RFC 8445 §8.1.1',
    'the highest-priority valid pair is the one nominated',
    [pair('a', 9, 'succeeded', { valid: true }), pair('b', 5, 'succeeded', { valid: true })],
    undefined,
    0,
    { action: 'nominate', pair: 'a' },
  ],
  [
    'RFC 8445 §8.1.1',
    'already nominated: nothing more',
    [pair('a', 9, 'succeeded', { valid: true, nominated: true })],
    undefined,
    0,
    { action: 'none' },
  ],
  [
    'RFC 8445 §8.1.1',
    'a nominating check is in flight: nothing more',
    [pair('a', 9, 'succeeded', { valid: true, nominating: true })],
    undefined,
    0,
    { action: 'none' },
  ],
  [
    'RFC 8445 §9',
    'a valid pair of the previous generation is not nominated',
    [pair('a', 9, 'succeeded', { valid: true, generation: OLD })],
    undefined,
    0,
    { action: 'none' },
  ],
  [
    'RFC 8445 §8.1.1',
    'a better pair not checked yet holds nomination until the budget ends',
    [pair('hi', 20, 'waiting'), pair('a', 9, 'succeeded', { valid: true })],
    undefined,
    100,
    { action: 'wait', until: 1000 },
  ],
  [
    'RFC 8445 §8.1.1',
    'after the budget a better pair not checked yet no longer holds it',
    [pair('hi', 20, 'frozen'), pair('a', 9, 'succeeded', { valid: true })],
    undefined,
    1000,
    { action: 'nominate', pair: 'a' },
  ],
  [
    'RFC 8445 §8.1.1, §14.2',
    'a better pair in progress holds it for max(rivalRtts x RTT, Ta) after its first check',
    [pair('hi', 20, 'in-progress', { firstCheckAt: 80 }), pair('a', 9, 'succeeded', { valid: true })],
    undefined,
    100,
    { action: 'wait', until: 130 },
  ],
  [
    'RFC 8445 §8.1.1',
    'a better pair in progress without an answer after the grace no longer holds it',
    [pair('hi', 20, 'in-progress', { firstCheckAt: 80 }), pair('a', 9, 'succeeded', { valid: true })],
    undefined,
    130,
    { action: 'nominate', pair: 'a' },
  ],
  [
    'RFC 8445 §8.1.1',
    'the grace follows the valid pair RTT (2 x 100 ms)',
    [
      pair('hi', 20, 'in-progress', { firstCheckAt: 0 }),
      pair('a', 9, 'succeeded', { valid: true, stats: { rtt: 100, srtt: 100 } }),
    ],
    undefined,
    150,
    { action: 'wait', until: 200 },
  ],
  [
    'RFC 8445 §8.1.1',
    'better pairs that failed do not hold it',
    [pair('hi', 20, 'failed'), pair('a', 9, 'succeeded', { valid: true })],
    undefined,
    0,
    { action: 'nominate', pair: 'a' },
  ],
  [
    'RFC 8445 §8.1.1',
    'lower-priority pairs still waiting do not hold it',
    [pair('a', 9, 'succeeded', { valid: true }), pair('lo', 5, 'waiting')],
    undefined,
    0,
    { action: 'nominate', pair: 'a' },
  ],
  [
    'RFC 8445 §8.1.1',
    'a selected pair at least as good: nothing to nominate',
    [
      pair('a', 9, 'succeeded', { valid: true }),
      pair('s', 12, 'succeeded', { valid: true, nominated: true }),
    ],
    's',
    0,
    { action: 'none' },
  ],
];

describe('regularNomination (controlling side)', () => {
  it.each(rows)('%s: %s', (_section, _what, pairs, selected, now, expected) => {
    const d = regularNomination({
      pairs,
      selected: pairs.find((p) => p.name === selected),
      generation: GEN,
      firstValidAt: 0,
      now,
      timing,
    });
    if (expected.action === 'nominate')
      expect(d).toEqual({ action: 'nominate', pair: pairs.find((p) => p.name === expected.pair) });
    else expect(d).toEqual(expected);
  });

  it('RFC 8445 §8.1.1: the valid pair a check produced (peer-reflexive) is the one nominated', () => {
    const produced = pair('prflx', 9, 'succeeded', { valid: true });
    const checked = pair('checked', 8, 'succeeded', { validPair: produced });
    const d = regularNomination({
      pairs: [checked],
      selected: undefined,
      generation: GEN,
      firstValidAt: 0,
      now: 0,
      timing,
    });
    expect(d).toEqual({ action: 'nominate', pair: produced });
  });

  it('RFC 8445 §8.1.1: an infinite budget waits for the better pair forever', () => {
    const d = regularNomination({
      pairs: [pair('hi', 20, 'waiting'), pair('a', 9, 'succeeded', { valid: true })],
      selected: undefined,
      generation: GEN,
      firstValidAt: 0,
      now: 1e9,
      timing: { ...timing, nominationBudget: Number.POSITIVE_INFINITY },
    });
    expect(d.action).toBe('wait');
  });
});

describe('nomination flags', () => {
  it.each([
    // [section, nominate, aggressive, kind, expected]
    ['RFC 8445 §8.1.1: a nominating check', true, false, 'check', true],
    ['RFC 8445 §8.1.1: an ordinary check under regular nomination', false, false, 'check', false],
    ['RFC 5245 §8.1.1.2: aggressive nomination, every check', false, true, 'check', true],
    ['RFC 7675 §5.1: a consent check never nominates', false, true, 'consent', false],
  ] as const)('checkNominates: %s', (_s, nominate, aggressive, kind, expected) => {
    expect(checkNominates({ nominate, aggressive, kind })).toBe(expected);
  });

  it.each([
    // [section, sentUseCandidate, sentAsControlling, nominateOnSuccess, expected]
    ['RFC 8445 §8.1.1: our USE-CANDIDATE check succeeded as controlling', true, true, false, true],
    ['RFC 8445 §7.1.2: USE-CANDIDATE is not sent as controlled', true, false, false, false],
    ['RFC 8445 §7.3.1.5: the peer nominated the pair while our check was pending', false, false, true, true],
    ['RFC 8445 §7.2.5.3.2: an ordinary check only validates', false, true, false, false],
  ] as const)(
    'successNominates: %s',
    (_s, sentUseCandidate, sentAsControlling, nominateOnSuccess, expected) => {
      expect(successNominates({ sentUseCandidate, sentAsControlling, nominateOnSuccess })).toBe(expected);
    },
  );

  it.each([
    // [section, role, pair state, expected]
    ['RFC 8445 §7.3.1.5: controlled, pair succeeded', 'controlled', 'succeeded', 'nominate'],
    ['RFC 8445 §7.3.1.5: controlled, check pending', 'controlled', 'in-progress', 'nominate-on-success'],
    ['RFC 8445 §7.3.1.5: controlled, triggered check queued', 'controlled', 'waiting', 'nominate-on-success'],
    ['RFC 8445 §8.1: the controlling agent ignores it', 'controlling', 'succeeded', 'ignore'],
  ] as const)('onUseCandidate: %s', (_s, role, state, expected) => {
    expect(onUseCandidate(role, state)).toBe(expected);
  });

  it.each([
    [
      'RFC 8445 §7.3.1.4: a triggered check replaces the nominating one (controlling)',
      'controlling',
      true,
      true,
    ],
    ['RFC 8445 §8.1.1: no nomination in flight', 'controlling', false, false],
    ['RFC 8445 §8.1: the controlled agent never nominates', 'controlled', true, false],
  ] as const)('repeatsNomination: %s', (_s, role, nominating, expected) => {
    expect(repeatsNomination(role, nominating)).toBe(expected);
  });
});

describe('selection after nomination', () => {
  const nominated = (name: string, priority: number, generation: unknown = GEN) =>
    pair(name, priority, 'succeeded', { valid: true, nominated: true, generation });

  it.each([
    // [section, what, pairs, selected, expected]
    ['RFC 8445 §8.1.1', 'the first nominated pair is selected', [nominated('a', 9)], undefined, 'a'],
    [
      'RFC 8445 §8.1.1',
      'a valid pair not nominated is not selected',
      [pair('a', 9, 'succeeded', { valid: true })],
      undefined,
      undefined,
    ],
    [
      'RFC 8445 §8.1.1',
      'a better nominated pair replaces the selected one',
      [nominated('a', 9), nominated('b', 12)],
      'a',
      'b',
    ],
    [
      'RFC 8445 §8.1.1',
      'a worse nominated pair does not',
      [nominated('a', 9), nominated('b', 5)],
      'a',
      undefined,
    ],
    ['RFC 8445 §8.1.1', 'the selected pair stays', [nominated('a', 9)], 'a', undefined],
    [
      'RFC 8445 §9',
      'after a restart the new generation replaces the old selected pair',
      [nominated('a', 9), nominated('old', 50, OLD)],
      'old',
      'a',
    ],
    [
      'RFC 8445 §9',
      'a nominated pair of the old generation is not selected',
      [nominated('old', 50, OLD)],
      undefined,
      undefined,
    ],
  ] as const)('pairToSelect, %s: %s', (_s, _what, pairs, selected, expected) => {
    const list = [...pairs] as TestPair[];
    const got = pairToSelect(
      list,
      list.find((p) => p.name === selected),
      GEN,
    );
    expect(got?.name).toBe(expected);
  });

  it.each([
    // [section, pair priority, selected, expected]
    ['RFC 8445 §8.1.2: lower than the nominated selected pair', 5, nominated('s', 9), true],
    ['RFC 8445 §8.1.2: higher than it, still worth a check', 12, nominated('s', 9), false],
    ['RFC 8445 §8.1.2: nothing selected', 5, undefined, false],
    [
      'RFC 8445 §12.1: the selected pair is only the best valid one, not nominated',
      5,
      pair('s', 9, 'succeeded', { valid: true }),
      false,
    ],
    ['RFC 8445 §9: the selected pair is from before the restart', 5, nominated('s', 9, OLD), false],
  ] as const)('outrankedByNominated: %s', (_s, priority, selected, expected) => {
    expect(outrankedByNominated({ priority: BigInt(priority) }, selected, GEN)).toBe(expected);
  });
});
