// Typed errors for everything that can go wrong with an allocation. Each message is one line that says
// what happened and what to do; `status` carries the server's ERROR-CODE when there was one.

/** Why a TURN operation failed, from the server's ERROR-CODE or from what the client saw. */
export type TurnErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'allocation-mismatch'
  | 'address-family-not-supported'
  | 'wrong-credentials'
  /** a username or password that RFC 8265 OpaqueString refuses (control characters, ...) */
  | 'invalid-credentials'
  | 'unsupported-transport'
  | 'allocation-quota-reached'
  | 'insufficient-capacity'
  | 'bad-request'
  | 'unknown-attribute'
  | 'server-error'
  | 'stale-nonce-loop'
  | 'redirect-loop'
  | 'server-unreachable'
  | 'connection-lost'
  | 'closed'
  /** refresh() before the allocation was made */
  | 'not-allocated'
  | 'protocol';

/** What else a TurnError carries: the server's ERROR-CODE, and the error that led to it (ES2022 `cause`). */
export interface TurnErrorOptions extends ErrorOptions {
  /** The server's ERROR-CODE (such as 401 or 508), when it sent one. */
  status?: number;
}

/**
 * The one error of @p2pcat/turn: `code` from the documented TurnErrorCode union, `message` one line,
 * `status` the server's ERROR-CODE when there was one, `cause` the error that led to it. An abort is
 * not a TurnError: it rejects with an error named 'AbortError'.
 */
export class TurnError extends Error {
  /** Always `'TurnError'`. */
  override readonly name = 'TurnError';
  /** What went wrong. */
  readonly code: TurnErrorCode;
  /** The server's ERROR-CODE (such as 401 or 508), when it sent one. */
  readonly status: number | undefined;
  constructor(code: TurnErrorCode, message: string, options: TurnErrorOptions = {}) {
    const { status, ...errorOptions } = options;
    super(message, errorOptions);
    this.code = code;
    this.status = status;
  }
}

/** RFC 8656 §19 / RFC 8489 §14.8 error codes a TURN client can receive, as one-line messages. */
export function turnErrorFromStatus(status: number, reason: string): TurnError {
  switch (status) {
    case 400:
      return new TurnError(
        'bad-request',
        `TURN server rejected the request as malformed (400${reason ? `: ${reason}` : ''})`,
        { status },
      );
    case 401:
      return new TurnError('unauthorized', 'TURN server refused the credentials (401)', { status });
    case 403:
      return new TurnError(
        'forbidden',
        'TURN server forbids this request (403): the peer address is not allowed by its policy',
        { status },
      );
    case 420:
      return new TurnError(
        'unknown-attribute',
        'TURN server does not understand a required attribute (420): use a server that supports RFC 8656',
        { status },
      );
    case 437:
      return new TurnError(
        'allocation-mismatch',
        'TURN allocation no longer exists on the server (437): the server restarted or the allocation expired; allocate again',
        { status },
      );
    case 438:
      return new TurnError(
        'stale-nonce-loop',
        'TURN server kept rejecting the nonce (438): check that the server clock and configuration are sane',
        { status },
      );
    case 440:
      return new TurnError(
        'address-family-not-supported',
        'TURN server cannot relay this address family (440): request an IPv4 relay or use another server',
        { status },
      );
    case 441:
      return new TurnError(
        'wrong-credentials',
        'TURN server refused credentials that differ from the allocation (441): use the same username throughout',
        { status },
      );
    case 442:
      return new TurnError(
        'unsupported-transport',
        'TURN server does not support UDP relaying (442): use another server',
        { status },
      );
    case 443:
      return new TurnError(
        'address-family-not-supported',
        'TURN peer address family differs from the relayed address (443): use a peer of the same family',
        { status },
      );
    case 486:
      return new TurnError(
        'allocation-quota-reached',
        'TURN server allocation quota reached for this user (486): close other allocations or try later',
        { status },
      );
    case 508:
      return new TurnError(
        'insufficient-capacity',
        'TURN server has no capacity left (508): try later or another server',
        { status },
      );
    default:
      if (status >= 500)
        return new TurnError(
          'server-error',
          `TURN server failed (${status}${reason ? `: ${reason}` : ''}): try later`,
          { status },
        );
      return new TurnError(
        'protocol',
        `TURN server answered with error ${status}${reason ? ` (${reason})` : ''}`,
        { status },
      );
  }
}
