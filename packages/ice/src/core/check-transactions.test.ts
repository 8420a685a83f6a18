import { describe, expect, it } from 'vitest';
import type { Candidate } from './candidate.js';
import { type CheckTransactionInit, CheckTransactions } from './check-transactions.js';
import { CandidatePair } from './pair.js';
import { DEFAULT_TIMING } from './timing.js';

const cand = (id: string, port: number): Candidate => ({
  id,
  streamId: 0,
  component: 1,
  type: 'host',
  address: { family: 'IPv4', address: '192.0.2.1', port },
  base: { family: 'IPv4', address: '192.0.2.1', port },
  priority: 1,
  foundation: '1',
});
const gen = { index: 0, localUfrag: 'a', localPwd: 'b', remoteUfrag: 'c', remotePwd: 'd' };
const pair = new CandidatePair('P1', cand('L1', 1), cand('R1', 2), true, gen);

function init(id: string, extra: Partial<CheckTransactionInit> = {}): CheckTransactionInit {
  return {
    id,
    data: new Uint8Array(20),
    pair,
    kind: 'check',
    nominate: false,
    role: 'controlling',
    rto: 500,
    maxRequests: 7,
    prflxPriority: 1,
    ...extra,
  };
}

/** Runs the table from timeout to timeout; the times (ms) of each outcome. */
function run(table: CheckTransactions, until = 1e9) {
  const seen: [number, string][] = [];
  for (let at = table.nextTimeout(); at <= until && Number.isFinite(at); at = table.nextTimeout())
    for (const { outcome } of table.runDue(at)) seen.push([at, outcome]);
  return seen;
}

describe('CheckTransactions', () => {
  it('RFC 8489 §6.2.1: retransmits at RTO, 3 RTO, 7 RTO ... and fails Rm x RTO after the 7th', () => {
    const table = new CheckTransactions(DEFAULT_TIMING);
    table.start(init('a'), 0);
    expect(run(table)).toEqual([
      [500, 'retransmit'],
      [1500, 'retransmit'],
      [3500, 'retransmit'],
      [7500, 'retransmit'],
      [15500, 'retransmit'],
      [31500, 'retransmit'],
      [39500, 'timeout'],
    ]);
  });

  it('maxRetransmitInterval caps every wait', () => {
    const table = new CheckTransactions({ ...DEFAULT_TIMING, maxRetransmitInterval: 1000 });
    table.start(init('a', { maxRequests: 4 }), 0);
    expect(run(table)).toEqual([
      [500, 'retransmit'],
      [1500, 'retransmit'],
      [2500, 'retransmit'],
      [3500, 'timeout'],
    ]);
  });

  it('RFC 8445 §7.3.1.4: a cancelled check is dropped at its next due time, still answerable before', () => {
    const table = new CheckTransactions(DEFAULT_TIMING);
    table.start(init('a'), 0);
    table.start(init('c', { kind: 'consent' }), 0);
    table.cancelChecksOn(pair);
    expect(table.get('a')?.cancelled).toBe(true);
    expect(table.get('c')?.cancelled).toBe(false);
    expect(table.runDue(500).map((o) => [o.tx.id, o.outcome])).toEqual([
      ['a', 'dropped'],
      ['c', 'retransmit'],
    ]);
    expect(table.get('a')).toBeUndefined();
  });

  it('the budget defers ordinary retransmissions, never nominations or consent', () => {
    const table = new CheckTransactions({
      ...DEFAULT_TIMING,
      checkRetransmitRate: 1,
      checkRetransmitBurst: 1,
    });
    table.start(init('a'), 0);
    table.start(init('b'), 0);
    table.start(init('n', { nominate: true }), 0);
    table.start(init('c', { kind: 'consent' }), 0);
    expect(table.runDue(500).map((o) => o.outcome)).toEqual([
      'retransmit',
      'deferred',
      'retransmit',
      'retransmit',
    ]);
    expect(table.get('b')?.nextAt).toBe(1500);
  });

  it('keepPairs and clear', () => {
    const table = new CheckTransactions(DEFAULT_TIMING);
    table.start(init('a'), 0);
    table.keepPairs(new Set());
    expect(table.nextTimeout()).toBe(Number.POSITIVE_INFINITY);
    table.start(init('b'), 0);
    table.keepPairs(new Set([pair]));
    expect(table.nextTimeout()).toBe(500);
    table.clear();
    expect(table.get('b')).toBeUndefined();
  });
});
