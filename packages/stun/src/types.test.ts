// Type-level tests (checked by `tsc -p tsconfig.test.json`, the package's typecheck): error codes
// come from documented unions, so a misspelled code does not compile.
import { describe, expectTypeOf, test } from 'vitest';
import {
  type HostPortError,
  type PrecisError,
  type ServerNameError,
  type ServerNameErrorCode,
  type StunBindingResult,
  StunClientError,
  type StunClientErrorCode,
  StunDecodeError,
  type StunDecodeErrorCode,
  StunError,
  type StunErrorCode,
} from './index.js';

describe('error types', () => {
  test('each error narrows the code union of StunError', () => {
    expectTypeOf<StunError['code']>().toEqualTypeOf<StunErrorCode>();
    expectTypeOf<StunDecodeError['code']>().toEqualTypeOf<StunDecodeErrorCode>();
    expectTypeOf<StunClientError['code']>().toEqualTypeOf<StunClientErrorCode>();
    expectTypeOf<ServerNameError['code']>().toEqualTypeOf<ServerNameErrorCode>();
    expectTypeOf<HostPortError['code']>().toEqualTypeOf<'bad-host-port'>();
    expectTypeOf<PrecisError['code']>().toEqualTypeOf<'precis-refused'>();
    expectTypeOf<StunDecodeError>().toMatchTypeOf<StunError>();
    expectTypeOf<StunBindingResult['error']>().toEqualTypeOf<StunError | undefined>();
  });

  test('a code outside the union does not compile', () => {
    // @ts-expect-error: 'aborted' is not a StunErrorCode (an abort is an AbortError)
    new StunError('aborted', 'x');
    // @ts-expect-error: a decode error cannot carry a client code
    new StunDecodeError('timeout', 'x');
    const e = new StunClientError('timeout', 'x', { cause: new Error('inner') });
    // @ts-expect-error: a misspelled code is a comparison with no overlap
    if (e.code === 'time-out') throw e;
    expectTypeOf(e.cause).toEqualTypeOf<unknown>();
  });
});
