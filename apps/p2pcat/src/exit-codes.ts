/** Documented process exit codes (README "Exit codes"). */
export const ExitCode = {
  Success: 0,
  TransferError: 1,
  Usage: 2,
  NoConnection: 3,
  PeerAborted: 4,
  IntegrityFailure: 5,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the user: one line saying what happened and what to do, and its exit code. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
