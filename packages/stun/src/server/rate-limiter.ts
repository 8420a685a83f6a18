import { addressToBytes } from '../codec/address.js';
import { bytesToHex } from '../codec/bytes.js';
import type { TransportAddress } from '../codec/index.js';

/** A token bucket per source: `rate` answers per second, at most `burst` at once. */
export interface SourceRateLimit {
  /** Tokens added per second (answers per second a busy source may receive). */
  rate: number;
  /** Bucket size: answers a quiet source may receive back to back. */
  burst: number;
  /**
   * Sources tracked at once. Beyond it the least recently seen is forgotten, so memory stays
   * bounded under a flood of spoofed sources.
   */
  maxSources: number;
}

/** 50 answers/s per source, bursts of 100, 10 000 sources tracked (about 1 MB). */
export const DEFAULT_SOURCE_RATE_LIMIT: Readonly<SourceRateLimit> = Object.freeze({
  rate: 50,
  burst: 100,
  maxSources: 10_000,
});

interface Bucket {
  tokens: number;
  /** Time of the last refill, ms. */
  at: number;
}

/**
 * Sans-IO per-source token buckets (time passed in, ms). The source is the IP address (an IPv6
 * source by its /64, the block one subscriber usually holds); the port does not count, so a host
 * cannot escape the limit by changing ports. The table is a Map in least-recently-seen order.
 */
export class SourceRateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #max: number;
  readonly #buckets = new Map<string, Bucket>();
  /** Entries forgotten before their bucket had refilled (the table was full). */
  evictions = 0;

  constructor(limit: SourceRateLimit) {
    const { rate, burst, maxSources } = limit;
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate limit ${rate}/s must be positive`);
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`burst ${burst} must be an integer >= 1`);
    if (!Number.isInteger(maxSources) || maxSources < 1)
      throw new RangeError(`maxSources ${maxSources} must be an integer >= 1`);
    this.#rate = rate;
    this.#burst = burst;
    this.#max = maxSources;
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one token for `from` at `now` (ms); false when its bucket is empty. */
  take(from: TransportAddress, now: number): boolean {
    const key = sourceKey(from);
    const buckets = this.#buckets;
    let b = buckets.get(key);
    if (b === undefined) {
      if (buckets.size >= this.#max) this.#evictOldest(now);
      b = { tokens: this.#burst, at: now };
    } else {
      buckets.delete(key); // re-inserted below: most recently seen goes last
      const elapsed = Math.max(0, now - b.at);
      b.tokens = Math.min(this.#burst, b.tokens + (elapsed * this.#rate) / 1000);
      b.at = now;
    }
    buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  #evictOldest(now: number): void {
    const first = this.#buckets.entries().next();
    if (first.done) return;
    const [key, b] = first.value;
    this.#buckets.delete(key);
    // A bucket that has refilled carries no information (a new entry starts full): forgetting it
    // costs nothing. Otherwise the source gets a fresh bucket if it comes back: count that.
    if (b.tokens + (Math.max(0, now - b.at) * this.#rate) / 1000 < this.#burst) this.evictions++;
  }
}

function sourceKey(a: TransportAddress): string {
  if (a.family === 'IPv4') return a.address;
  const bytes = new Uint8Array(16);
  try {
    addressToBytes('IPv6', a.address, bytes, 0);
  } catch {
    return a.address;
  }
  return `6:${bytesToHex(bytes.subarray(0, 8))}`;
}
