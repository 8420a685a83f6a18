// The stream's `signal` option (issue 15): an abort destroys the stream with an error named
// 'AbortError' (the signal's reason when it is one), resets an open connection, and frees the transport.
import { describe, expect, it } from 'vitest';
import { createPseudoTcpStream, PseudoTcpError } from './stream.js';
import type { DatagramTransport } from './transport.js';

/** Two transports wired to each other in memory; `closed` counts transports handed back. */
function memoryPair() {
  const listeners: [((d: Uint8Array) => void) | undefined, ((d: Uint8Array) => void) | undefined] = [
    undefined,
    undefined,
  ];
  const state = { closed: 0 };
  const side = (me: 0 | 1): DatagramTransport => ({
    send: (data) => {
      const copy = data.slice();
      setImmediate(() => listeners[me === 0 ? 1 : 0]?.(copy));
    },
    onMessage: (l) => {
      listeners[me] = l;
      return () => {
        listeners[me] = undefined;
      };
    },
    close: () => {
      state.closed++;
    },
  });
  return { a: side(0), b: side(1), state };
}

const errorOf = (s: ReturnType<typeof createPseudoTcpStream>) =>
  new Promise<Error>((resolve) => s.once('error', resolve));

describe('PseudoTcpStream signal', () => {
  it('an abort while connecting destroys the stream with an AbortError and hands the transport back', async () => {
    const { a, state } = memoryPair(); // nobody answers on the other side
    const controller = new AbortController();
    const s = createPseudoTcpStream(a, { signal: controller.signal });
    const error = errorOf(s);
    setTimeout(() => controller.abort(), 20);
    expect(await error).toMatchObject({ name: 'AbortError' });
    expect(s.destroyed).toBe(true);
    expect(state.closed).toBe(1);
  });

  it('an abort of an open connection resets the peer', async () => {
    const { a, b } = memoryPair();
    const reason = new DOMException('stopped', 'AbortError');
    const controller = new AbortController();
    const sa = createPseudoTcpStream(a, { signal: controller.signal });
    const sb = createPseudoTcpStream(b);
    await new Promise<void>((r) => sa.once('connect', r));
    const errA = errorOf(sa);
    const errB = errorOf(sb);
    controller.abort(reason);
    expect(await errA).toBe(reason);
    const peer = await errB;
    expect(peer).toBeInstanceOf(PseudoTcpError);
    expect(peer).toMatchObject({ code: 'reset' });
  });

  it('an already aborted signal destroys on the next tick, once listeners are attached', async () => {
    const { a } = memoryPair();
    const s = createPseudoTcpStream(a, { signal: AbortSignal.abort('why') });
    const error = await errorOf(s);
    expect(error.name).toBe('AbortError');
    expect(error.cause).toBe('why');
  });
});
