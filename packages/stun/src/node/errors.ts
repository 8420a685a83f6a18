/**
 * Why a STUN request got no answer: no response in time, aborted, client closed, or the send
 * failed.
 */
export type StunClientErrorCode = 'timeout' | 'aborted' | 'closed' | 'send-failed';

/** Why a STUN request did not get an answer. */
export class StunClientError extends Error {
  /** Why the request got no answer. */
  readonly code: StunClientErrorCode;
  constructor(code: StunClientErrorCode, message: string) {
    super(message);
    this.name = 'StunClientError';
    this.code = code;
  }
}
