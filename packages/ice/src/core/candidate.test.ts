import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { candidatePriority } from './candidate.js';
import { candidateToSdp, parseCandidateSdp } from './candidate-sdp.js';
import { generateCredentials, validateCredentials } from './credentials.js';
import { pairPriority } from './pair.js';
import { seededRandom } from './random.js';

describe('RFC 8445 formulas', () => {
  it('candidate priority §5.1.2.1', () => {
    // host, local preference 65535, component 1: 126<<24 | 65535<<8 | 255
    expect(candidatePriority('host', 65535, 1)).toBe(2130706431);
    expect(candidatePriority('srflx', 65535, 1)).toBe(1694498815);
    expect(candidatePriority('relay', 65535, 2)).toBe(16777214);
    expect(candidatePriority('prflx', 0, 1)).toBe(110 * 2 ** 24 + 255);
  });
  it('pair priority §6.1.2.3', () => {
    const g = 2130706431;
    const d = 1694498815;
    expect(pairPriority(g, d, true)).toBe((BigInt(d) << 32n) + 2n * BigInt(g) + 1n);
    expect(pairPriority(d, g, false)).toBe((BigInt(d) << 32n) + 2n * BigInt(g) + 1n);
    expect(pairPriority(d, g, true)).toBe((BigInt(d) << 32n) + 2n * BigInt(g));
  });
});

describe('credentials', () => {
  it('are long enough and deterministic from a seed', () => {
    const a = generateCredentials(seededRandom(5));
    expect(a.ufrag.length).toBeGreaterThanOrEqual(4);
    expect(a.pwd.length).toBeGreaterThanOrEqual(22);
    expect(validateCredentials(a)).toBeUndefined();
    expect(generateCredentials(seededRandom(5))).toEqual(a);
    expect(validateCredentials({ ufrag: 'ab', pwd: a.pwd })).toMatch(/ufrag/);
  });
});

describe('SDP candidate lines', () => {
  it('round-trip, and parse libnice output', () => {
    const line = 'candidate:1 1 UDP 2013266431 192.168.1.5 50123 typ host';
    const c = parseCandidateSdp(`a=${line}`);
    expect(c).toMatchObject({
      foundation: '1',
      component: 1,
      priority: 2013266431,
      type: 'host',
      address: { address: '192.168.1.5', port: 50123 },
    });
    const s = parseCandidateSdp(
      'candidate:2 1 udp 1694498815 203.0.113.9 4000 typ srflx raddr 10.0.0.2 rport 5000',
    );
    expect(s.relatedAddress).toEqual({ family: 'IPv4', address: '10.0.0.2', port: 5000 });
    const back = candidateToSdp({
      id: 'x',
      streamId: 0,
      component: 1,
      type: 'srflx',
      address: s.address,
      base: s.address,
      priority: s.priority,
      foundation: '2',
      relatedAddress: s.relatedAddress,
    });
    expect(back).toBe('candidate:2 1 udp 1694498815 203.0.113.9 4000 typ srflx raddr 10.0.0.2 rport 5000');
  });
  it('rejects arbitrary text with an Error, never anything else', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseCandidateSdp(s);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
        }
      }),
    );
  });
});
