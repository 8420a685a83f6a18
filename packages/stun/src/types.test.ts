// Type-level tests (checked by `tsc -p tsconfig.test.json`, the package's typecheck): error codes
// come from documented unions, so a misspelled code does not compile.
import { describe, expectTypeOf, test } from 'vitest';
import {
  type EventMap,
  type HostPortError,
  type PrecisError,
  type ServerNameError,
  type ServerNameErrorCode,
  type StunBindingResult,
  StunClientError,
  type StunClientErrorCode,
  StunClientTransactions,
  StunDecodeError,
  type StunDecodeErrorCode,
  StunError,
  type StunErrorCode,
  type TransactionEvent,
  type TypedEventEmitter,
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

describe('TypedEventEmitter (the event-map type turn, gather and ice use)', () => {
  interface Events {
    data: [chunk: Uint8Array, from: string];
    end: [];
  }
  test('listeners get the arguments of their event; wrong names and listeners do not compile', () => {
    // Types only: checked by tsc, never called.
    const uses = (emitter: TypedEventEmitter<Events>) => {
      expectTypeOf(emitter.on('end', () => {})).toEqualTypeOf<TypedEventEmitter<Events>>();
      emitter.on('data', (chunk, from) => {
        expectTypeOf(chunk).toEqualTypeOf<Uint8Array>();
        expectTypeOf(from).toEqualTypeOf<string>();
      });
      // @ts-expect-error: no such event
      emitter.on('ned', () => {});
      // @ts-expect-error: 'data' gives a Uint8Array first, not a number
      emitter.on('data', (n: number) => n);
      // @ts-expect-error: 'end' has no arguments
      emitter.emit('end', 1);
    };
    expectTypeOf(uses).toBeFunction();
    expectTypeOf<EventMap<Events>>().toEqualTypeOf<{ data: unknown[]; end: unknown[] }>();
  });
});

test('StunClientTransactions carries a typed context', () => {
  const tx = new StunClientTransactions<{ n: number }>();
  expectTypeOf(tx.pollEvent()).toEqualTypeOf<TransactionEvent<{ n: number }> | undefined>();
  expectTypeOf(tx.lookup).returns.toEqualTypeOf<
    { transactionId: string; context: { n: number } | undefined } | undefined
  >();
  // @ts-expect-error: the context is a { n: number }
  tx.start(new Uint8Array(20), { family: 'IPv4', address: '192.0.2.1', port: 1 }, 0, { context: 'x' });
});
