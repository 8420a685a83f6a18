import { type StunDecodeErrorCode, StunError } from '../errors.js';

/** The only error the decoders throw: `code` says what was wrong with the bytes. */
export class StunDecodeError extends StunError<StunDecodeErrorCode> {
  constructor(code: StunDecodeErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'StunDecodeError';
  }
}
