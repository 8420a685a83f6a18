// Type-level tests (checked by `tsc -p tsconfig.test.json`, the package's typecheck): TurnSocket's
// events are typed, so a wrong event name or listener does not compile; error codes are a union.
import type { TransportAddress } from '@p2pcat/stun';
import { describe, expectTypeOf, test } from 'vitest';
import { TurnError, type TurnErrorCode, TurnSocket, type TurnSocketEvents } from './index.js';

// Constructed only (no socket is opened before allocate()); the listeners below never fire.
const turn = new TurnSocket({
  server: { family: 'IPv4', address: '127.0.0.1', port: 3478 },
  username: 'u',
  password: 'p',
});

describe('TurnSocket events', () => {
  test('listeners get the arguments of their event', () => {
    turn.on('message', (data, peer) => {
      expectTypeOf(data).toEqualTypeOf<Uint8Array>();
      expectTypeOf(peer).toEqualTypeOf<TransportAddress>();
    });
    turn.once('error', (error) => expectTypeOf(error).toEqualTypeOf<TurnError>());
    turn.on('warning', (error, peer) => {
      expectTypeOf(error).toEqualTypeOf<TurnError>();
      expectTypeOf(peer).toEqualTypeOf<TransportAddress | undefined>();
    });
    turn.on('refreshed', (lifetime) => expectTypeOf(lifetime).toEqualTypeOf<number>());
    turn.off('close', () => {});
    expectTypeOf<TurnSocketEvents['redirected']>().toEqualTypeOf<[server: TransportAddress]>();
  });

  test('a wrong event name or listener does not compile', () => {
    // @ts-expect-error: no such event
    turn.on('mesage', () => {});
    // @ts-expect-error: 'message' listeners get (Uint8Array, TransportAddress), not a string
    turn.on('message', (data: string) => data);
    // @ts-expect-error: 'close' has no arguments to emit
    turn.emit('close', 1);
    // @ts-expect-error: no such event to count
    turn.listenerCount('closed');
  });
});

describe('TurnError', () => {
  test('code is a union, status and cause are kept', () => {
    const e = new TurnError('forbidden', 'x', { status: 403, cause: new Error('inner') });
    expectTypeOf(e.code).toEqualTypeOf<TurnErrorCode>();
    expectTypeOf(e.status).toEqualTypeOf<number | undefined>();
    // @ts-expect-error: not a TurnErrorCode
    new TurnError('aborted', 'x');
  });
});
