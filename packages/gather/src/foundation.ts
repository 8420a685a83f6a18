// RFC 8445 §5.1.1.3: candidates share a foundation when they have the same type, the same base
// IP address, the same STUN/TURN server IP, and the same transport. An opaque string of at most
// 32 ice-chars (RFC 8839 §5.1), stable within a session.
import { createHash } from 'node:crypto';
import type { CandidateType } from './candidate.js';

/**
 * The foundation of a candidate: a short hash of its type, base IP address, server IP address and
 * transport.
 */
export function computeFoundation(
  type: CandidateType,
  baseAddress: string,
  serverAddress: string | undefined,
  transport: string,
): string {
  const digest = createHash('sha256')
    .update(`${type}|${baseAddress}|${serverAddress ?? ''}|${transport}`)
    .digest();
  return (digest.readUInt32BE(0) % 1_000_000_000).toString();
}
