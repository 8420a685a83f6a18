import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { abortError } from '../abort.js';
import { formatTransportAddress, sameTransportAddress } from '../address.js';
import { demultiplex, StunMessageBuilder, StunMethod, type TransportAddress } from '../codec/index.js';
import { StunError } from '../errors.js';
import type { TransactionOptions } from '../transaction/schedule.js';
import { parseHostPort, transportAddressFromNode } from './address.js';
import { StunClientError } from './errors.js';
import { resolveServerAddresses, type ServerLookup } from './resolve.js';
import { StunStreamClient } from './stream-client.js';
import { StunClient, type StunResponse } from './stun-client.js';

export interface StunBindingOptions extends TransactionOptions {
  /**
   * A bound UDP socket the caller owns (udp4 or udp6): requests go out of it, so the mapping
   * found is the one of that socket. Left open. Without it a socket per family is opened and closed.
   */
  socket?: Socket;
  /** Overall budget in ms for the whole call, default 5000: a server silent past it is a 'timeout' result. */
  deadline?: number;
  /** Stops every request: the call rejects with an AbortError. */
  signal?: AbortSignal;
  /** 'udp' (default), or 'tcp' / 'tls' (RFC 8489 §6.2.2, one connection per server). */
  transport?: 'udp' | 'tcp' | 'tls';
  /**
   * TLS options (ca, rejectUnauthorized, ...) for transport 'tls'. The certificate is checked
   * against the server's host name when it was given by name (SNI and identity), unless
   * `servername` here says otherwise.
   */
  tls?: ConnectionOptions;
  /** The resolver for server names, default the system's (dns.lookup, /etc/hosts honoured). */
  lookup?: ServerLookup;
}

/** The outcome of a Binding request to one server address. */
export interface StunBindingResult {
  /** The server as given. */
  server: string;
  /** The server address asked (after DNS and any ALTERNATE-SERVER). */
  serverAddress?: TransportAddress;
  /** Our reflexive transport address, as the server saw it (XOR-MAPPED-ADDRESS). */
  mapped?: TransportAddress;
  /** The local address the request went out of. */
  local?: TransportAddress;
  /** ms from the request to its response. */
  rtt?: number;
  /**
   * Why this server gave no mapping: a StunError whose `code` says what ('timeout', 'not-found',
   * 'bad-host-port', 'error-response', 'bad-response', 'wrong-family', ...) and whose message is one line.
   */
  error?: StunError;
}

/**
 * Binding requests to several servers in parallel, IPv4 and IPv6 (a host name is asked on each
 * address it resolves to), within one deadline. One result per server address, in input order;
 * a 300 ALTERNATE-SERVER answer is followed once (RFC 8489 §10). A server that fails has its
 * `error` set (the call itself does not reject for it); an abort of `signal` rejects with an AbortError.
 */
export async function stunBinding(
  servers: readonly (string | TransportAddress)[],
  options: StunBindingOptions = {},
): Promise<StunBindingResult[]> {
  const { socket, deadline = 5000, signal, transport = 'udp', tls, lookup, ...txOptions } = options;
  if (signal?.aborted) throw abortError(signal, 'the STUN Binding requests were aborted');
  const controller = new AbortController();
  const onAbort = () => controller.abort('aborted');
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => controller.abort('deadline'), deadline);
  const budget = { ...txOptions, timeout: Math.min(txOptions.timeout ?? deadline, deadline) };
  try {
    const results = await bindAll();
    if (signal?.aborted) throw abortError(signal, 'the STUN Binding requests were aborted');
    return results;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }

  async function bindAll(): Promise<StunBindingResult[]> {
    // One resolution per server, bounded by the deadline; each address is then asked on its own.
    const onlyFamily = transport === 'udp' ? socketFamily(socket) : undefined;
    const targets = (
      await Promise.all(
        servers.map((s) =>
          resolveServer(
            s,
            // The caller's signal stops a resolution; the deadline is the resolver's own timeout,
            // so a slow resolver is reported as such.
            { ...(lookup ? { lookup } : {}), ...(signal ? { signal } : {}) },
            deadline,
            onlyFamily,
          ),
        ),
      )
    ).flat();
    if (transport !== 'udp') {
      return await Promise.all(
        targets.map((t) => streamBinding(t, transport === 'tls', tls, budget, controller.signal)),
      );
    }
    const pool = new UdpPool(socket);
    try {
      return await Promise.all(
        targets.map(async (t): Promise<StunBindingResult> => {
          if ('error' in t) return { server: t.server, error: t.error };
          const client = await pool.clientFor(t.address.family);
          if (client === undefined) {
            return {
              server: t.server,
              serverAddress: t.address,
              error: new StunError(
                'wrong-family',
                `cannot reach ${t.address.family} server ${formatTransportAddress(t.address)} from this ${t.address.family === 'IPv6' ? 'IPv4' : 'IPv6'} socket`,
              ),
            };
          }
          return bindingWithRedirect(
            t.server,
            t.address,
            client.client,
            client.local,
            budget,
            controller.signal,
          );
        }),
      );
    } finally {
      pool.close();
    }
  }
}

type Target =
  | { server: string; address: TransportAddress; host?: string }
  | { server: string; error: StunError };

/** The family a caller's socket can reach: 'both' for a dual-stack '::' socket; undefined without a socket. */
function socketFamily(socket: Socket | undefined): 'IPv4' | 'IPv6' | 'both' | undefined {
  if (socket === undefined) return undefined;
  const local = socket.address();
  if (local.family === 'IPv6') return local.address === '::' ? 'both' : 'IPv6';
  return 'IPv4';
}

async function resolveServer(
  server: string | TransportAddress,
  resolveOptions: { lookup?: ServerLookup; signal?: AbortSignal },
  timeout: number,
  family: 'IPv4' | 'IPv6' | 'both' | undefined,
): Promise<Target[]> {
  if (typeof server !== 'string') return [{ server: formatTransportAddress(server), address: server }];
  let parsed: { host: string; port: number };
  try {
    parsed = parseHostPort(server);
  } catch (error) {
    return [{ server, error: error as StunError }];
  }
  let addresses: TransportAddress[];
  try {
    addresses = await resolveServerAddresses(parsed.host, parsed.port, { ...resolveOptions, timeout });
  } catch (error) {
    // An abort of the caller's signal: the call rejects with it (see stunBinding).
    if (error instanceof StunError) return [{ server, error }];
    return [{ server, error: new StunError('failed', String((error as Error).message), { cause: error }) }];
  }
  const named = isIP(parsed.host.split('%')[0] ?? '') === 0;
  // A name resolved to several families: a socket of one family asks only that family's addresses
  // (an IP literal of the other family is reported by the socket pool).
  const usable =
    !named || family === undefined || family === 'both'
      ? addresses
      : addresses.filter((a) => a.family === family);
  if (usable.length === 0) {
    return [
      {
        server,
        error: new StunError(
          'wrong-family',
          `STUN server ${server} has no ${family} address for this ${family} socket (it resolved to ${addresses.map(formatTransportAddress).join(', ')})`,
        ),
      },
    ];
  }
  return usable.map((address) => ({ server, address, ...(named ? { host: parsed.host } : {}) }));
}

async function bindingWithRedirect(
  server: string,
  first: TransportAddress,
  client: StunClient,
  local: TransportAddress | undefined,
  options: TransactionOptions,
  signal: AbortSignal,
): Promise<StunBindingResult> {
  let target = first;
  // RFC 8489 §10: follow ALTERNATE-SERVER, but not into a loop: here at most once.
  for (let hop = 0; ; hop++) {
    let response: StunResponse;
    try {
      response = await client.binding(target, { ...options, signal });
    } catch (error) {
      return {
        server,
        serverAddress: target,
        ...(local ? { local } : {}),
        error: describe(error, target, signal),
      };
    }
    const outcome = interpret(server, target, response, hop === 0);
    if ('redirect' in outcome) {
      target = outcome.redirect;
      continue;
    }
    return { ...outcome, ...(local ? { local } : {}) };
  }
}

function interpret(
  server: string,
  target: TransportAddress,
  response: StunResponse,
  mayRedirect: boolean,
): StunBindingResult | { redirect: TransportAddress } {
  const { message } = response;
  try {
    // RFC 8489 §6.3.3: a response with unknown comprehension-required attributes fails the transaction.
    if (message.unknownComprehensionRequired.length > 0) {
      return {
        server,
        serverAddress: target,
        error: new StunError(
          'unknown-attributes',
          `the STUN server answered with unknown comprehension-required attributes (${message.unknownComprehensionRequired.map((t) => `0x${t.toString(16).padStart(4, '0')}`).join(', ')})`,
        ),
      };
    }
    if (message.class === 'success') {
      const mapped = message.get('XOR_MAPPED_ADDRESS') ?? message.get('MAPPED_ADDRESS');
      if (mapped === undefined) {
        return {
          server,
          serverAddress: target,
          error: new StunError('bad-response', 'the STUN server answered without a mapped address'),
        };
      }
      return { server, serverAddress: target, mapped, rtt: response.rtt };
    }
    const code = message.get('ERROR_CODE');
    const alternate = message.get('ALTERNATE_SERVER');
    if (code?.code === 300 && alternate !== undefined && mayRedirect) {
      if (alternate.family === target.family && !sameTransportAddress(alternate, target))
        return { redirect: alternate };
    }
    return {
      server,
      serverAddress: target,
      error: new StunError(
        code?.code === 300 ? 'redirect-loop' : 'error-response',
        `the STUN server refused the Binding request: ${code ? `${code.code} ${code.reason}` : 'error without ERROR-CODE'}`,
      ),
    };
  } catch (error) {
    return {
      server,
      serverAddress: target,
      error: new StunError('bad-response', 'the STUN server sent a malformed response', { cause: error }),
    };
  }
}

/** A failed request as a result's error: the deadline (our own abort) is a 'timeout'. */
function describe(error: unknown, target: TransportAddress, signal: AbortSignal): StunError {
  if (error instanceof StunError) return error;
  if (signal.aborted && signal.reason === 'deadline') {
    return new StunClientError(
      'timeout',
      `no answer from STUN server ${formatTransportAddress(target)} before the deadline`,
    );
  }
  // The caller's abort (the call rejects with an AbortError), or anything unforeseen.
  return new StunClientError('send-failed', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

/** One StunClient per socket family, over the caller's socket or sockets opened here. */
class UdpPool {
  readonly #given: Socket | undefined;
  readonly #opened = new Map<
    'IPv4' | 'IPv6',
    Promise<{ client: StunClient; local: TransportAddress } | undefined>
  >();
  readonly #cleanups: (() => void)[] = [];

  constructor(socket: Socket | undefined) {
    this.#given = socket;
  }

  clientFor(family: 'IPv4' | 'IPv6'): Promise<{ client: StunClient; local: TransportAddress } | undefined> {
    let entry = this.#opened.get(family);
    if (entry === undefined) {
      entry = this.#open(family);
      this.#opened.set(family, entry);
    }
    return entry;
  }

  close(): void {
    for (const c of this.#cleanups) c();
  }

  async #open(family: 'IPv4' | 'IPv6'): Promise<{ client: StunClient; local: TransportAddress } | undefined> {
    let socket = this.#given;
    if (socket === undefined) {
      const own = createSocket(family === 'IPv4' ? 'udp4' : 'udp6');
      try {
        await new Promise<void>((resolve, reject) => {
          own.once('error', reject);
          own.bind(0, family === 'IPv4' ? '0.0.0.0' : '::', () => {
            own.off('error', reject);
            resolve();
          });
        });
      } catch {
        own.close();
        return undefined;
      }
      own.on('error', () => {});
      this.#cleanups.push(() => own.close());
      socket = own;
    } else {
      const local = socket.address();
      if (
        local.family !== family &&
        !(family === 'IPv4' && local.family === 'IPv6' && local.address === '::')
      ) {
        return undefined;
      }
    }
    const s = socket;
    const localInfo = s.address();
    const v6socket = localInfo.family === 'IPv6';
    const client = new StunClient({
      send: (data, destination) => {
        const host =
          v6socket && destination.family === 'IPv4' ? `::ffff:${destination.address}` : destination.address;
        s.send(data, destination.port, host);
      },
    });
    const onMessage = (msg: Buffer, rinfo: RemoteInfo) => {
      if (demultiplex(msg) !== 'stun') return;
      client.handleMessage(
        new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
        transportAddressFromNode(rinfo.address, rinfo.port),
      );
    };
    s.on('message', onMessage);
    this.#cleanups.unshift(() => {
      s.off('message', onMessage);
      client.close();
    });
    return { client, local: transportAddressFromNode(localInfo.address, localInfo.port) };
  }
}

async function streamBinding(
  target: Target,
  secure: boolean,
  tls: ConnectionOptions | undefined,
  options: TransactionOptions,
  signal: AbortSignal,
): Promise<StunBindingResult> {
  if ('error' in target) return { server: target.server, error: target.error };
  const { server } = target;
  let address = target.address;
  // RFC 8489 §6.2.3: the client verifies the server's certificate against the name it was given
  // (SNI and identity check use the host name, not the resolved IP).
  const tlsOptions: ConnectionOptions = {
    ...(target.host !== undefined ? { servername: target.host } : {}),
    ...tls,
  };
  // RFC 8489 §10: follow ALTERNATE-SERVER once, on a new connection.
  for (let hop = 0; ; hop++) {
    let client: StunStreamClient | undefined;
    try {
      client = await StunStreamClient.connect(address, { ...(secure ? { tls: tlsOptions } : {}), signal });
      const response = await client.request(new StunMessageBuilder('request', StunMethod.Binding), {
        ...options,
        signal,
      });
      const outcome = interpret(server, address, response, hop === 0);
      if ('redirect' in outcome) {
        address = outcome.redirect;
        continue;
      }
      return { ...outcome, local: client.local };
    } catch (error) {
      return { server, serverAddress: address, error: describe(error, address, signal) };
    } finally {
      client?.close();
    }
  }
}
