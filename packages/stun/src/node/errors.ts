import { type StunClientErrorCode, StunError } from '../errors.js';

/** Why a STUN request did not get an answer ('timeout', 'closed', 'send-failed'); an abort is an AbortError. */
export class StunClientError extends StunError<StunClientErrorCode> {
  constructor(code: StunClientErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'StunClientError';
  }
}
