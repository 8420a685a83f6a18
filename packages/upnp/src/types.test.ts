// Type-level tests (checked by `tsc -p tsconfig.test.json`, the package's typecheck): error codes
// come from the documented PortMappingErrorCode union, so a misspelled code does not compile.
import { describe, expectTypeOf, test } from 'vitest';
import {
  type GatewayResultError,
  type NoPortMappingServiceError,
  PortMappingError,
  type PortMappingErrorCode,
  type UpnpSoapError,
} from './index.js';

describe('error types', () => {
  test('every error is a PortMappingError with a code from the union', () => {
    expectTypeOf<PortMappingError['code']>().toEqualTypeOf<PortMappingErrorCode>();
    expectTypeOf<UpnpSoapError>().toMatchTypeOf<PortMappingError>();
    expectTypeOf<GatewayResultError>().toMatchTypeOf<PortMappingError>();
    expectTypeOf<NoPortMappingServiceError>().toMatchTypeOf<PortMappingError>();
    const e = new PortMappingError('timeout', 'x', { cause: new Error('inner') });
    expectTypeOf(e.cause).toEqualTypeOf<unknown>();
  });

  test('a code outside the union, or the old field, does not compile', () => {
    // @ts-expect-error: 'aborted' is gone: an abort rejects with an AbortError
    new PortMappingError('aborted', 'x');
    const e = new PortMappingError('refused', 'x');
    // @ts-expect-error: the field is `code` (it was `kind`)
    expectTypeOf(e.kind).toBeString();
    // @ts-expect-error: a misspelled code is a comparison with no overlap
    if (e.code === 'refuse') throw e;
  });
});
