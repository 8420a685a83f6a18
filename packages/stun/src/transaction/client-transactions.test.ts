import { describe, expect, test } from 'vitest';
import {
  decodeStunMessage,
  type MessageClass,
  type StunMessage,
  StunMessageBuilder,
  StunMethod,
  type TransportAddress,
} from '../codec/index.js';
import { StunClientTransactions, type TransactionEvent } from './client-transactions.js';
import { computeSchedule } from './schedule.js';

const server: TransportAddress = { family: 'IPv4', address: '192.0.2.1', port: 3478 };
const other: TransportAddress = { family: 'IPv4', address: '192.0.2.2', port: 3478 };

function request(seed: number): Uint8Array {
  const bytes = new Uint8Array(20);
  bytes.set([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]);
  for (let i = 8; i < 20; i++) bytes[i] = (seed + i) & 0xff;
  return bytes;
}

function response(req: Uint8Array, cls: MessageClass = 'success'): StunMessage {
  return decodeStunMessage(new StunMessageBuilder(cls, StunMethod.Binding, req.slice(8, 20)).build());
}

/** Runs the simulated clock from timeout to timeout; returns the send times and the final event. */
function runToEnd(tx: StunClientTransactions, start: number) {
  const sends: number[] = [];
  const events: TransactionEvent[] = [];
  const drain = (now: number) => {
    while (tx.pollTransmit()) sends.push(now - start);
    for (let e = tx.pollEvent(); e; e = tx.pollEvent()) events.push(e);
  };
  drain(start);
  for (let at = tx.pollTimeout(); at !== undefined; at = tx.pollTimeout()) {
    tx.handleTimeout(at);
    drain(at);
  }
  return { sends, events };
}

describe('UDP retransmission schedule (RFC 8489 §6.2.1)', () => {
  test('defaults: 7 sends at 0, 500, 1500, 3500, 7500, 15500, 31500 and failure at 39500', () => {
    const tx = new StunClientTransactions();
    const req = request(1);
    const id = tx.start(req, server, 1000, { context: 'ctx' });
    const { sends, events } = runToEnd(tx, 1000);
    expect(sends).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(events).toEqual([{ type: 'timeout', transactionId: id, destination: server, context: 'ctx' }]);
    expect(tx.pollTimeout()).toBeUndefined();
    expect(tx.size).toBe(0);
  });

  test('the timeout fires exactly at 39.5 s, not before', () => {
    const tx = new StunClientTransactions();
    tx.start(request(2), server, 0);
    for (let at = tx.pollTimeout(); at !== undefined && at < 39_500; at = tx.pollTimeout())
      tx.handleTimeout(at);
    expect(tx.pollTimeout()).toBe(39_500);
    tx.handleTimeout(39_499);
    expect(tx.pollEvent()).toBeUndefined();
    tx.handleTimeout(39_500);
    expect(tx.pollEvent()?.type).toBe('timeout');
  });

  test('configurable rto, rc and rm', () => {
    expect(computeSchedule({ rto: 100, rc: 3, rm: 4 })).toEqual({ sends: [0, 100, 300], failAt: 700 });
  });

  test('an overall budget caps the schedule', () => {
    const tx = new StunClientTransactions({ timeout: 5000 });
    tx.start(request(3), server, 0);
    const { sends, events } = runToEnd(tx, 0);
    expect(sends).toEqual([0, 500, 1500, 3500]);
    expect(events.map((e) => e.type)).toEqual(['timeout']);
    expect(computeSchedule({ timeout: 5000 }).failAt).toBe(5000);
  });

  test('a late caller gets one datagram, not a burst', () => {
    const tx = new StunClientTransactions();
    tx.start(request(4), server, 0);
    expect(tx.pollTransmit()).toBeDefined();
    tx.handleTimeout(4000); // 500, 1500 and 3500 all passed
    expect(tx.pollTransmit()).toBeDefined();
    expect(tx.pollTransmit()).toBeUndefined();
    expect(tx.pollTimeout()).toBe(7500);
  });

  test('rejects nonsense options with a clear error', () => {
    expect(() => new StunClientTransactions({ rto: 0 })).toThrow(/rto must be a positive/);
  });
});

describe('reliable transports (RFC 8489 §6.2.2)', () => {
  test('one send and a single 39.5 s timeout', () => {
    const tx = new StunClientTransactions({ reliable: true });
    tx.start(request(5), server, 0);
    const { sends, events } = runToEnd(tx, 0);
    expect(sends).toEqual([0]);
    expect(events).toHaveLength(1);
    expect(computeSchedule({ reliable: true }).failAt).toBe(39_500);
    expect(computeSchedule({ reliable: true, timeout: 2000 }).failAt).toBe(2000);
  });
});

describe('responses', () => {
  test('matched by transaction id, with rtt and retransmit count', () => {
    const tx = new StunClientTransactions();
    const a = request(10);
    const b = request(20);
    const idA = tx.start(a, server, 0, { context: { n: 1 } });
    const idB = tx.start(b, server, 0);
    tx.handleTimeout(500);
    tx.handleTimeout(1500);
    expect(tx.handleResponse(response(b), server, 1600)).toBe(true);
    expect(tx.pollEvent()).toMatchObject({ type: 'response', transactionId: idB, rtt: 1600, retransmits: 2 });
    expect(tx.handleResponse(response(a, 'error'), server, 1700)).toBe(true);
    const ev = tx.pollEvent();
    expect(ev).toMatchObject({ type: 'response', transactionId: idA, context: { n: 1 } });
    expect(ev?.type === 'response' && ev.message.class).toBe('error');
    expect(tx.pollTimeout()).toBeUndefined();
  });

  test('duplicate responses are ignored', () => {
    const tx = new StunClientTransactions();
    const req = request(30);
    tx.start(req, server, 0);
    expect(tx.handleResponse(response(req), server, 10)).toBe(true);
    expect(tx.handleResponse(response(req), server, 11)).toBe(false);
    expect(tx.pollEvent()?.type).toBe('response');
    expect(tx.pollEvent()).toBeUndefined();
  });

  test('late responses after the timeout are ignored', () => {
    const tx = new StunClientTransactions({ timeout: 1000 });
    const req = request(40);
    tx.start(req, server, 0);
    runToEnd(tx, 0);
    expect(tx.handleResponse(response(req), server, 1200)).toBe(false);
    expect(tx.pollEvent()).toBeUndefined();
  });

  test('a response from another address does not complete the transaction', () => {
    const tx = new StunClientTransactions();
    const req = request(50);
    tx.start(req, server, 0);
    expect(tx.handleResponse(response(req), other, 10)).toBe(false);
    expect(tx.handleResponse(response(req), { ...server, port: 3479 }, 10)).toBe(false);
    expect(tx.pollEvent()).toBeUndefined();
    expect(tx.handleResponse(response(req), server, 20)).toBe(true);
  });

  test('responseSource: a CHANGE-REQUEST answer must come from the named address', () => {
    const tx = new StunClientTransactions();
    const req = request(55);
    tx.start(req, server, 0, { responseSource: other });
    expect(tx.handleResponse(response(req), server, 10)).toBe(false);
    expect(tx.handleResponse(response(req), other, 10)).toBe(true);
  });

  test('requests and indications with a live id are not responses', () => {
    const tx = new StunClientTransactions();
    const req = request(60);
    tx.start(req, server, 0);
    expect(tx.handleResponse(response(req, 'request'), server, 5)).toBe(false);
    expect(tx.handleResponse(response(req, 'indication'), server, 5)).toBe(false);
  });

  test('cancel stops retransmissions silently', () => {
    const tx = new StunClientTransactions();
    const id = tx.start(request(70), server, 0);
    tx.pollTransmit();
    tx.cancel(id);
    expect(tx.pollTimeout()).toBeUndefined();
    tx.handleTimeout(100_000);
    expect(tx.pollTransmit()).toBeUndefined();
    expect(tx.pollEvent()).toBeUndefined();
  });

  test('cancel and cancelAll also drop an event already queued', () => {
    const tx = new StunClientTransactions();
    const a = request(90);
    const b = request(91);
    const idA = tx.start(a, server, 0);
    tx.start(b, server, 0);
    tx.handleResponse(response(a), server, 10);
    tx.cancel(idA); // already ended: its queued event is dropped
    expect(tx.pollEvent()).toBeUndefined();
    tx.handleTimeout(100_000);
    tx.cancelAll(); // b's queued timeout goes too
    expect(tx.pollEvent()).toBeUndefined();
    expect(tx.size).toBe(0);
    expect(tx.pollTimeout()).toBeUndefined();
  });

  test('a transaction id already live is refused', () => {
    const tx = new StunClientTransactions();
    tx.start(request(80), server, 0);
    expect(() => tx.start(request(80), server, 0)).toThrow(/already running/);
  });
});

describe('per-transaction context', () => {
  test('lookup finds the context of the transaction a response answers, without ending it', () => {
    const tx = new StunClientTransactions<{ authenticated: boolean }>();
    const req = request(100);
    const id = tx.start(req, server, 0, { context: { authenticated: true } });
    expect(tx.lookup(response(req), server)).toEqual({ transactionId: id, context: { authenticated: true } });
    expect(tx.lookup(response(req, 'error'), server)?.context).toEqual({ authenticated: true });
    // the transaction is still live: the response may be judged and fed, or dropped
    expect(tx.size).toBe(1);
    expect(tx.pollEvent()).toBeUndefined();
    expect(tx.handleResponse(response(req), server, 5)).toBe(true);
    const ev = tx.pollEvent();
    expect(ev?.context?.authenticated).toBe(true);
    expect(tx.lookup(response(req), server)).toBeUndefined();
  });

  test('lookup finds nothing for another source, an unknown id, or a request', () => {
    const tx = new StunClientTransactions();
    const req = request(110);
    tx.start(req, server, 0);
    expect(tx.lookup(response(req), other)).toBeUndefined();
    expect(tx.lookup(response(request(111)), server)).toBeUndefined();
    expect(tx.lookup(response(req, 'request'), server)).toBeUndefined();
    expect(tx.lookup(response(req), server)).toEqual({
      transactionId: expect.any(String),
      context: undefined,
    });
  });

  test('the context comes back typed with a timeout', () => {
    const tx = new StunClientTransactions<string>({ timeout: 1000 });
    tx.start(request(120), server, 0, { context: 'refresh' });
    const { events } = runToEnd(tx as unknown as StunClientTransactions, 0);
    expect(events).toMatchObject([{ type: 'timeout', context: 'refresh' }]);
  });
});
