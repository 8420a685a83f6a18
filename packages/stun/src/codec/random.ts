import { randomBytes } from '@noble/hashes/utils.js';

// Transaction ids are cut from a pool of CSPRNG output to avoid one system call per message.
const POOL_SIZE = 12 * 256;
let pool = new Uint8Array(0);
let poolPos = POOL_SIZE;

/** 12 cryptographically random bytes (RFC 8489 §5: the transaction id MUST be uniformly random). */
export function randomTransactionId(): Uint8Array {
  if (poolPos + 12 > pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolPos = 0;
  }
  const id = pool.slice(poolPos, poolPos + 12);
  poolPos += 12;
  return id;
}
