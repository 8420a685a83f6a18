// Type-level tests (checked by `tsc -p tsconfig.test.json`, the package's typecheck): the stream's
// events are typed, so a wrong event name or listener does not compile; error codes are a union.
import type { Readable } from 'node:stream';
import { describe, expectTypeOf, test } from 'vitest';
import {
  createPseudoTcpStream,
  PseudoTcpError,
  type PseudoTcpErrorCode,
  type PseudoTcpStreamEvents,
} from './index.js';

// A stream on a transport that goes nowhere, destroyed at once: only the types matter here.
const stream = createPseudoTcpStream({ send: () => {}, onMessage: () => () => {} }, { connect: false });
stream.destroy();

describe('PseudoTcpStream events', () => {
  test('listeners get the arguments of their event', () => {
    stream.on('connect', () => {});
    stream.on('data', (chunk) => expectTypeOf(chunk).toEqualTypeOf<Buffer>());
    stream.once('error', (error) => expectTypeOf(error).toEqualTypeOf<Error>());
    stream.on('pipe', (source) => expectTypeOf(source).toEqualTypeOf<Readable>());
    expectTypeOf<PseudoTcpStreamEvents['close']>().toEqualTypeOf<[]>();
    // Zero-argument events with a promise: type the promise as Promise<void>.
    void new Promise<void>((resolve) => stream.once('finish', resolve));
  });

  test('a wrong event name or listener does not compile', () => {
    // @ts-expect-error: no such event
    stream.on('conect', () => {});
    // @ts-expect-error: 'data' gives a Buffer, not a number
    stream.on('data', (chunk: number) => chunk);
    // @ts-expect-error: 'connect' has no arguments
    stream.emit('connect', true);
  });
});

describe('PseudoTcpError', () => {
  test('code is a union and cause is kept', () => {
    const e = new PseudoTcpError('reset', 'x', { cause: 'rst' });
    expectTypeOf(e.code).toEqualTypeOf<PseudoTcpErrorCode>();
    expectTypeOf<PseudoTcpErrorCode>().toEqualTypeOf<'reset' | 'timeout' | 'connect-failed' | 'closed'>();
    // @ts-expect-error: the Node-style codes are gone
    new PseudoTcpError('ECONNRESET', 'x');
  });
});
