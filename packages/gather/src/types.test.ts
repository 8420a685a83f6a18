// Type-level tests (checked by `tsc -p tsconfig.test.json`, the package's typecheck): Gathering's
// events are typed, so a wrong event name or listener does not compile; failures are GatherErrors.
import { describe, expectTypeOf, test } from 'vitest';
import {
  type Candidate,
  GatherError,
  type GatherErrorCode,
  type Gathering,
  type GatheringEvents,
} from './index.js';

declare const g: Gathering;

describe('Gathering events', () => {
  test('listeners get the arguments of their event', () => {
    if (Math.random() < 2) return; // types only: `g` is not a real gathering
    g.on('candidate', (c) => expectTypeOf(c).toEqualTypeOf<Candidate>());
    g.once('end', (...args) => expectTypeOf(args).toEqualTypeOf<[]>());
    expectTypeOf<GatheringEvents['candidate']>().toEqualTypeOf<[candidate: Candidate]>();
    // @ts-expect-error: no such event
    g.on('candidates', () => {});
    // @ts-expect-error: 'candidate' listeners get a Candidate, not a string
    g.on('candidate', (c: string) => c);
    // @ts-expect-error: 'end' has no arguments to emit
    g.emit('end', 1);
  });
});

describe('GatherError', () => {
  test('failures are GatherErrors with a code from the union and the fields p2pcat reads', () => {
    expectTypeOf<Gathering['failures']>().toEqualTypeOf<GatherError[]>();
    expectTypeOf<GatherError['code']>().toEqualTypeOf<GatherErrorCode>();
    expectTypeOf<GatherError['source']>().toEqualTypeOf<string>();
    expectTypeOf<GatherError['message']>().toEqualTypeOf<string>();
    const e = new GatherError('turn', 'TURN server refused the credentials (401)', {
      source: 'turn:h:3478',
      cause: new Error('401'),
    });
    expectTypeOf(e).toExtend<Error>();
    // @ts-expect-error: not a code
    const bad: GatherErrorCode = 'timeout';
    void bad;
  });
});
