/** What was wrong with the bytes a decoder refused. */
export type StunDecodeReason =
  | 'too-short'
  | 'not-stun'
  | 'bad-length'
  | 'bad-attribute-length'
  | 'truncated-attribute'
  | 'bad-attribute-value'
  | 'bad-channel-data';

/** The only error the decoders throw: `reason` says what was wrong with the bytes. */
export class StunDecodeError extends Error {
  /** What was wrong with the bytes. */
  readonly reason: StunDecodeReason;
  constructor(reason: StunDecodeReason, message: string) {
    super(message);
    this.name = 'StunDecodeError';
    this.reason = reason;
  }
}
