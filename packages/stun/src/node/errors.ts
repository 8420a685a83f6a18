export type StunClientErrorCode = 'timeout' | 'aborted' | 'closed' | 'send-failed';

/** Why a STUN request did not get an answer. */
export class StunClientError extends Error {
  readonly code: StunClientErrorCode;
  constructor(code: StunClientErrorCode, message: string) {
    super(message);
    this.name = 'StunClientError';
    this.code = code;
  }
}
