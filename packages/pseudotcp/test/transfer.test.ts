import { describe, expect, it } from 'vitest';
import { PseudoTcp } from '../src/core/pseudotcp.js';
import { Prng } from './prng.js';
import { SimNetwork, transfer } from './sim.js';

const MB = 1_000_000;

describe('transfer over a lossless simulated network', () => {
  it('moves 10 MB with simultaneous open, sha256 equal', () => {
    const data = new Prng(1).bytes(10 * MB);
    const net = new SimNetwork([new PseudoTcp(), new PseudoTcp()], 7, { delayMs: 10 });
    const r = transfer(net, data, { closeAtEnd: true });
    expect(r.ok).toBe(true);
    expect(r.receivedHash).toBe(r.sentHash);
    console.log('lossless 10MB simulated ms', r.simulatedMs, net.peers[0].stats());
  });
});
