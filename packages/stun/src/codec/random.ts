// Cryptographically random bytes for every package (transaction ids, ICE credentials and
// tie-breakers, TURN requests): Web Crypto's getRandomValues (a global in Node >= 19 and in
// browsers, so the sans-IO core needs no `node:` builtin), cut from a pool so that a transaction id
// does not cost one call each.

const POOL_SIZE = 4096;
// getRandomValues fills at most 65,536 bytes per call
const MAX_FILL = 65_536;
const pool = new Uint8Array(POOL_SIZE);
let poolPos = POOL_SIZE;

/**
 * `length` cryptographically random bytes, a fresh array the caller owns. Small requests are cut
 * from a pool of CSPRNG output refilled when used up (no byte is handed out twice); large ones are
 * filled directly.
 */
export function randomBytes(length: number): Uint8Array {
  if (length > POOL_SIZE / 4) {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += MAX_FILL) crypto.getRandomValues(out.subarray(i, i + MAX_FILL));
    return out;
  }
  if (poolPos + length > POOL_SIZE) {
    crypto.getRandomValues(pool);
    poolPos = 0;
  }
  const out = pool.slice(poolPos, poolPos + length);
  poolPos += length;
  return out;
}

/** 12 cryptographically random bytes (RFC 8489 §5: the transaction id MUST be uniformly random). */
export function randomTransactionId(): Uint8Array {
  return randomBytes(12);
}
