import { randomBytes } from '@p2pcat/stun/core';

/**
 * Source of randomness for credentials, tie-breakers, transaction ids and consent jitter.
 * Injectable so that a whole negotiation can be replayed from a seed.
 */
export interface RandomSource {
  /** Returns `length` random bytes. */
  bytes(length: number): Uint8Array;
}

/**
 * Cryptographically secure source (RFC 8445 §5.3: ufrag/pwd MUST come from a secure random source):
 * `randomBytes` of `@p2pcat/stun` (Web Crypto, so the core needs no `node:` builtin).
 */
export const secureRandom: RandomSource = { bytes: randomBytes };

/** A float in [0, 1) from the source. */
export function randomFloat(random: RandomSource): number {
  const b = random.bytes(4);
  const u = (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
  return u / 2 ** 32;
}

/** 64-bit tie-breaker (RFC 8445 §7.3.1.1). */
export function randomTieBreaker(random: RandomSource): bigint {
  const b = random.bytes(8);
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/** Deterministic source (mulberry32) for tests and simulations. Not for production credentials. */
export function seededRandom(seed: number): RandomSource & {
  /** A number in [0, 1). */
  float(): number;
} {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    bytes(length) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = next() & 0xff;
      return out;
    },
    float: () => next() / 2 ** 32,
  };
}
