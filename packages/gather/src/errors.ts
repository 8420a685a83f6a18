// The one error of @p2pcat/gather: why a source gave no candidate, as a code. Each entry of
// `Gathering.failures` is one; its `source` says which server or protocol.

/**
 * Why a source gave no candidate: `'host-bind'` (a host socket could not be bound), `'no-free-port'`
 * (every port of `portRange` was taken), `'server-url'` (a STUN or TURN URL that does not parse),
 * `'server-name'` (a server name that did not resolve), `'no-local-address'` (no host address of the
 * server's family to ask it from), `'stun'` (a STUN server gave no mapped address in time), `'turn'`
 * (a TURN allocation failed; `cause` is the TurnError), `'port-mapping'` (no router mapped a port, or
 * no default route to find one), `'double-nat'` (the router mapped a port but sits behind another NAT).
 */
export type GatherErrorCode =
  | 'host-bind'
  | 'no-free-port'
  | 'server-url'
  | 'server-name'
  | 'no-local-address'
  | 'stun'
  | 'turn'
  | 'port-mapping'
  | 'double-nat';

/** What else a GatherError carries: the source that failed, and the error that led to it (ES2022 `cause`). */
export interface GatherErrorOptions extends ErrorOptions {
  /** The source: a server URL, "port mapping", or "host ADDRESS". */
  source: string;
}

/**
 * The one error of @p2pcat/gather: `code` from the documented GatherErrorCode union, `message` one
 * line, `source` the server or protocol that gave nothing, `cause` the error that led to it. An
 * abort is not a GatherError.
 */
export class GatherError extends Error {
  /** Always `'GatherError'`. */
  override readonly name = 'GatherError';
  /** What went wrong. */
  readonly code: GatherErrorCode;
  /** The source: a server URL, "port mapping", or "host ADDRESS". */
  readonly source: string;
  constructor(code: GatherErrorCode, message: string, options: GatherErrorOptions) {
    const { source, ...errorOptions } = options;
    super(message, errorOptions);
    this.code = code;
    this.source = source;
  }
}
