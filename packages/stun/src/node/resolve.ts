// Server names to addresses, once per server (issue 14): STUN and TURN servers are written as host
// names ("stun.l.google.com:19302"), but a reply comes from an IP address and is matched against
// the address the request went to. So the name is resolved first, with the system resolver
// (node:dns lookup, which honours /etc/hosts and nsswitch, as people expect), and every request
// goes to, and every reply is matched against, one of the resolved addresses.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { abortError } from '../abort.js';
import type { TransportAddress } from '../codec/index.js';
import { type ServerNameErrorCode, StunError } from '../errors.js';
import { transportAddressFromNode } from './address.js';

/** A resolver in the shape of `dns.promises.lookup(host, { all: true })`. Injectable for tests. */
export type ServerLookup = (host: string) => Promise<
  readonly {
    /** An IP address of the host. */
    address: string;
    /** 4 or 6. */
    family: number;
  }[]
>;

/** The system resolver: A and AAAA records, /etc/hosts included, in the order the system gives. */
export const systemLookup: ServerLookup = (host) => dnsLookup(host, { all: true });

/**
 * A server name that gave no address. The message is one line naming the server, e.g.
 * `STUN server stun.example.invalid:3478: the name does not resolve (ENOTFOUND)`; `reason` is the
 * part after the server ("the name does not resolve (ENOTFOUND)").
 */
export class ServerNameError extends StunError<ServerNameErrorCode> {
  /** "STUN server stun.example.invalid:3478" */
  readonly server: string;
  /** The resolver's words, for the error line ("the name does not resolve (ENOTFOUND)"). */
  readonly reason: string;
  constructor(code: ServerNameErrorCode, server: string, reason: string, options?: ErrorOptions) {
    super(code, `${server}: ${reason}`, options);
    this.name = 'ServerNameError';
    this.server = server;
    this.reason = reason;
  }
}

/** Options of `resolveServerAddresses`. */
export interface ResolveServerOptions {
  /** Default: the system resolver (`systemLookup`). */
  lookup?: ServerLookup;
  /** ms the resolver may take; past it the name counts as unresolved. Default: no bound. */
  timeout?: number;
  /** Stops the resolution: it then rejects with an AbortError. */
  signal?: AbortSignal;
  /** What the server is, for the error line: default "STUN server". */
  label?: string;
}

/**
 * The transport addresses of `host:port`: an IP literal (IPv4 or IPv6, no brackets) is used as it
 * is without asking DNS; a name is resolved once into all its A and AAAA addresses, in the
 * resolver's order, duplicates removed. Rejects with a ServerNameError (one line) when the name
 * does not resolve or the resolver does not answer within `timeout`; with an AbortError when
 * `signal` aborts.
 */
export async function resolveServerAddresses(
  host: string,
  port: number,
  options: ResolveServerOptions = {},
): Promise<TransportAddress[]> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const literal = isIP(bare.split('%')[0] ?? '');
  if (literal !== 0) return [transportAddressFromNode(bare, port)];
  const label = `${options.label ?? 'STUN server'} ${formatHostPort(bare, port)}`;
  const { lookup = systemLookup, timeout, signal } = options;
  if (signal?.aborted) throw abortError(signal, `resolving ${label} was aborted`);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    if (timeout !== undefined) {
      timer = setTimeout(
        () =>
          reject(
            new ServerNameError(
              'timeout',
              label,
              `the resolver gave no answer for the name within ${timeout} ms`,
            ),
          ),
        Math.max(0, timeout),
      );
    }
    onAbort = () => reject(abortError(signal as AbortSignal, `resolving ${label} was aborted`));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const found = await Promise.race([lookup(bare), stop]);
    const seen = new Set<string>();
    const addresses: TransportAddress[] = [];
    for (const a of found) {
      const t = transportAddressFromNode(a.address, port);
      const key = `${t.family} ${t.address}`;
      if (seen.has(key)) continue;
      seen.add(key);
      addresses.push(t);
    }
    if (addresses.length === 0) throw new ServerNameError('not-found', label, 'the name has no address');
    return addresses;
  } catch (error) {
    if (error instanceof ServerNameError || (error as Error | undefined)?.name === 'AbortError') throw error;
    const code = (error as { code?: unknown }).code;
    const notFound = code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EAI_NONAME';
    throw new ServerNameError(
      notFound ? 'not-found' : 'failed',
      label,
      notFound
        ? `the name does not resolve (${String(code)})`
        : `the name could not be resolved (${typeof code === 'string' ? code : (error as Error).message})`,
      { cause: error },
    );
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** The addresses a socket of `family` can reach, in the resolver's order. */
export function addressesOfFamily(
  addresses: readonly TransportAddress[],
  family: 'IPv4' | 'IPv6',
): TransportAddress[] {
  return addresses.filter((a) => a.family === family);
}

/** "host:port", or "[v6]:port" for an IPv6 literal. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
