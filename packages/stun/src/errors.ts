// The one error shape of the package: every error it throws or reports is a StunError whose `code`
// comes from the documented StunErrorCode union (a subclass narrows it), with the error that led to it
// kept as the ES2022 `cause`. Aborts are the exception: they reject with an AbortError (abort.ts).

/** Bytes that are not a well-formed STUN message or ChannelData frame (decoders). */
export type StunDecodeErrorCode =
  | 'too-short'
  | 'not-stun'
  | 'bad-length'
  | 'bad-attribute-length'
  | 'truncated-attribute'
  | 'bad-attribute-value'
  | 'bad-channel-data';

/** Why a STUN request got no answer (StunClient, StunStreamClient). */
export type StunClientErrorCode = 'timeout' | 'closed' | 'send-failed';

/** Why a server name gave no address (resolveServerAddresses). */
export type ServerNameErrorCode = 'not-found' | 'timeout' | 'failed';

/** Why a Binding exchange gave no mapped address (stunBinding results, NAT behaviour discovery). */
export type StunResponseErrorCode =
  /** the server answered with an error response (ERROR-CODE) */
  | 'error-response'
  /** the response was malformed, or a success without (XOR-)MAPPED-ADDRESS */
  | 'bad-response'
  /** the response held comprehension-required attributes we do not know (RFC 8489 §6.3.3) */
  | 'unknown-attributes'
  /** a second 300 ALTERNATE-SERVER (RFC 8489 §10: followed once) */
  | 'redirect-loop'
  /** the server's address family cannot be reached from this socket, or the name has none */
  | 'wrong-family'
  /** no route to the server from this host */
  | 'no-route';

/** Every `code` a StunError can carry. */
export type StunErrorCode =
  | StunDecodeErrorCode
  | StunClientErrorCode
  | ServerNameErrorCode
  | StunResponseErrorCode
  /** a server address that is not HOST:PORT (HostPortError) */
  | 'bad-host-port'
  /** a username, realm or password RFC 8265 refuses (PrecisError) */
  | 'precis-refused';

/** The base of every error of @p2pcat/stun: `code` says what, `message` is one line, `cause` is kept. */
export class StunError<C extends StunErrorCode = StunErrorCode> extends Error {
  /** What went wrong, from StunErrorCode (a subclass narrows it to its own codes). */
  readonly code: C;
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StunError';
    this.code = code;
  }
}
