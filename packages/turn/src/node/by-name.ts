// A TurnSocket for a server given as "host:port" (issue 14): the name is resolved once with the
// shared resolver of @p2pcat/stun (system resolver, A and AAAA, /etc/hosts), the allocation talks
// to, and matches every reply against, the resolved address, and TLS verifies the name.
import { isIP } from 'node:net';
import {
  abortError,
  parseHostPort,
  resolveServerAddresses,
  type ServerLookup,
  ServerNameError,
  type TransportAddress,
} from '@p2pcat/stun';
import { TurnError } from '../errors.js';
import { TurnSocket, type TurnSocketOptions } from './turn-socket.js';

/** Options of `createTurnSocket`: those of `TurnSocketOptions`, with a server that may be a name. */
export interface TurnServerByNameOptions extends Omit<TurnSocketOptions, 'server'> {
  /**
   * "turn.example.org:3478", "192.0.2.1:3478", "[2001:db8::1]:3478", a bare host (port 3478, or
   * 5349 for transport 'tls'), or a transport address.
   */
  server: string | TransportAddress;
  /** The resolver, default the system's (dns.lookup with all: true). */
  lookup?: ServerLookup;
  /**
   * The address family to talk to the server over when the name has both: default IPv4 when it has
   * an A record, else IPv6. With a caller-owned socket (`transport: { send }`) pass its family.
   */
  family?: 'IPv4' | 'IPv6';
  /** Stops the resolution: the call rejects with an AbortError. */
  signal?: AbortSignal;
}

/**
 * Resolves the server (IP literals skip DNS) and returns a TurnSocket for its address, not yet
 * allocated. Over TLS the certificate is verified against the host name (SNI `servername` and
 * identity check), as RFC 8489 §6.2.3 requires, unless `tls.servername` says otherwise. The
 * resolution is bounded by `deadline` (default 30000 ms). Rejects with a TurnError
 * ('server-unreachable') whose message is one line, e.g.
 * "TURN server turn.example.invalid:3478: the name does not resolve (ENOTFOUND)"; a malformed
 * "host:port" is a 'bad-request' TurnError; the underlying error is its `cause`. An abort of
 * `signal` rejects with an AbortError.
 */
export async function createTurnSocket(options: TurnServerByNameOptions): Promise<TurnSocket> {
  const { server, lookup, family, signal, ...rest } = options;
  if (signal?.aborted) throw abortError(signal, 'resolving the TURN server was aborted');
  if (typeof server !== 'string') return new TurnSocket({ ...rest, server });
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseHostPort(server, rest.transport === 'tls' ? 5349 : 3478));
  } catch (error) {
    throw new TurnError('bad-request', (error as Error).message, { cause: error });
  }
  let addresses: TransportAddress[];
  try {
    addresses = await resolveServerAddresses(host, port, {
      label: 'TURN server',
      timeout: rest.deadline ?? 30_000,
      ...(lookup ? { lookup } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if ((error as Error | undefined)?.name === 'AbortError') throw error;
    throw new TurnError(
      'server-unreachable',
      error instanceof ServerNameError ? error.message : String(error),
      { cause: error },
    );
  }
  const wanted = family ?? (addresses.some((a) => a.family === 'IPv4') ? 'IPv4' : 'IPv6');
  const address = addresses.find((a) => a.family === wanted);
  if (address === undefined) {
    throw new TurnError(
      'server-unreachable',
      `TURN server ${server} has no ${wanted} address (it resolved to ${addresses.map((a) => a.address).join(', ')})`,
    );
  }
  const named = isIP(host.split('%')[0] ?? '') === 0;
  const tls = rest.transport === 'tls' && named ? { tls: { servername: host, ...rest.tls } } : {};
  return new TurnSocket({ ...rest, ...tls, server: address });
}
