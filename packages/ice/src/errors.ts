// The one error of @p2pcat/ice: why connect() (or another ICE operation) failed, as a code.
import type { IceFailureReason } from './core/events.js';

/**
 * Why an ICE operation failed. The failure reasons of the agent (RFC 8445 §8.1.2, RFC 7675):
 * `'no-pairs'` (no candidate pair could be formed), `'all-checks-failed'`, `'consent-lost'`,
 * `'timeout'` (no path before connectTimeout); and `'closed'` (the connection was closed before it
 * connected), `'no-usable-pair'` (send() with no pair to send on), `'no-relayed-address'`
 * (addRelay() before the allocation was made), `'bad-url'` (a TURN server URL that is not turn:/turns:).
 */
export type IceErrorCode = IceFailureReason | 'closed' | 'no-usable-pair' | 'no-relayed-address' | 'bad-url';

/**
 * The one error of @p2pcat/ice: `code` from the documented IceErrorCode union, `message` one line,
 * `cause` the error that led to it. An abort is not an IceError: it rejects with an error named
 * 'AbortError'.
 */
export class IceError extends Error {
  /** Always `'IceError'`. */
  override readonly name = 'IceError';
  /** What went wrong. */
  readonly code: IceErrorCode;
  constructor(code: IceErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
