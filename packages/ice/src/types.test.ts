// Type-level tests (checked by `tsc -p tsconfig.test.json`, the package's typecheck): IceConnection's
// events are typed, so a wrong event name or listener does not compile; error codes are a union.
import { describe, expectTypeOf, test } from 'vitest';
import {
  type HardNatEvent,
  IceConnection,
  type IceConnectionEvents,
  type IceConnectionState,
  type IceDescription,
  type IceError,
  type IceErrorCode,
  type IceFailureReason,
  type IceTransport,
  type PairInfo,
} from './index.js';

// Constructed only (no socket is bound before gather()); the listeners below never fire.
const ice = new IceConnection();

describe('IceConnection events', () => {
  test('listeners get the arguments of their event', () => {
    ice.on('state', (state, reason) => {
      expectTypeOf(state).toEqualTypeOf<IceConnectionState>();
      expectTypeOf(reason).toEqualTypeOf<IceFailureReason | undefined>();
    });
    ice.on('message', (data, component) => {
      expectTypeOf(data).toEqualTypeOf<Uint8Array>();
      expectTypeOf(component).toEqualTypeOf<number>();
    });
    ice.once('selected-pair', (pair) => expectTypeOf(pair).toEqualTypeOf<PairInfo>());
    ice.on('restart', (d) => expectTypeOf(d).toEqualTypeOf<IceDescription>());
    ice.on('warning', (e) => expectTypeOf(e).toEqualTypeOf<Error>());
    ice.on('hard-nat', (e) => expectTypeOf(e).toEqualTypeOf<HardNatEvent>());
    ice.on('candidate-refused', (e) => expectTypeOf(e.reason).toBeString());
    ice.off('valid-pair', (e) => expectTypeOf(e.pair).toEqualTypeOf<PairInfo>());
    expectTypeOf<IceConnectionEvents['selected-pair']>().toEqualTypeOf<[pair: PairInfo]>();
  });

  test('a wrong event name or listener does not compile', () => {
    // @ts-expect-error: no such event
    ice.on('selected', () => {});
    // @ts-expect-error: 'message' listeners get (Uint8Array, number), not a string
    ice.on('message', (data: string) => data);
    // @ts-expect-error: 'state' is emitted with a state, not a number
    ice.emit('state', 1, undefined);
    // @ts-expect-error: no such event to count
    ice.listenerCount('closed');
  });
});

describe('IceError and connect', () => {
  test('code is the documented union and connect takes a signal', () => {
    expectTypeOf<IceError['code']>().toEqualTypeOf<IceErrorCode>();
    expectTypeOf<IceErrorCode>().toExtend<string>();
    expectTypeOf<'no-pairs' | 'timeout' | 'closed'>().toExtend<IceErrorCode>();
    expectTypeOf(ice.connect).parameter(0).toEqualTypeOf<{ signal?: AbortSignal } | undefined>();
    expectTypeOf<ReturnType<IceConnection['connect']>>().toEqualTypeOf<Promise<IceTransport>>();
    // @ts-expect-error: not a code
    const bad: IceErrorCode = 'failed';
    void bad;
  });
});
