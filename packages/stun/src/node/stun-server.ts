import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server as TcpServer, type Socket as TcpSocket } from 'node:net';
import { debuglog } from 'node:util';
import { formatTransportAddress } from '../address.js';
import type { TransportAddress } from '../codec/index.js';
import { type ServerTransmit, StunBindingServer, type StunServerStats } from '../server/binding-server.js';
import { DEFAULT_SOURCE_RATE_LIMIT, type SourceRateLimit } from '../server/rate-limiter.js';
import { StunStreamFramer } from '../transaction/stream-framing.js';
import { parseTransportAddress, transportAddressFromNode } from './address.js';

/** Options of `startStunServer`. */
export interface StartStunServerOptions {
  /** "ADDR:PORT" or an address; port 0 picks a free one. */
  listen: string | TransportAddress;
  /** RFC 5780: a second address, different IP and port ("ADDR:PORT", port 0 picks a free one). */
  alternate?: string | TransportAddress;
  /** Serve UDP (default true). */
  udp?: boolean;
  /** Serve TCP (default true), RFC 8489 §6.2.2 framing. */
  tcp?: boolean;
  /**
   * SOFTWARE attribute; default none. When set it goes only into answers that still fit within
   * the size of their request.
   */
  software?: string;
  /**
   * Per-source (IP; IPv6 by /64) token bucket on UDP answers. Default DEFAULT_SOURCE_RATE_LIMIT:
   * 50 answers/s, bursts of 100, 10 000 sources tracked. `false`: no limit.
   */
  rateLimit?: SourceRateLimit | false;
  /** Debug lines (failed sends). Default: util.debuglog('stun-server'), i.e. NODE_DEBUG=stun-server. */
  debug?: (line: string) => void;
}

/** A STUN server started by `startStunServer`. */
export interface RunningStunServer {
  /** The primary transport address served. */
  readonly primary: TransportAddress;
  /** The alternate transport address (RFC 5780), if one was given. */
  readonly alternate: TransportAddress | undefined;
  /** Every address served (1, or 4 with an alternate address). */
  readonly addresses: readonly TransportAddress[];
  /** Live counters; sendFailures counts every send that threw or reported an error. */
  readonly stats: StunServerStats;
  /** Stops serving and closes every socket. */
  close(): Promise<void>;
}

/** Starts a STUN Binding server on UDP and TCP; with `alternate`, on four addresses for RFC 5780. */
export async function startStunServer(options: StartStunServerOptions): Promise<RunningStunServer> {
  const primary = typeof options.listen === 'string' ? parseTransportAddress(options.listen) : options.listen;
  const alternate =
    options.alternate === undefined
      ? undefined
      : typeof options.alternate === 'string'
        ? parseTransportAddress(options.alternate)
        : options.alternate;
  const ephemeral = primary.port === 0 || alternate?.port === 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await bindAll(primary, alternate, options);
    } catch (error) {
      const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!(inUse && ephemeral && attempt < 20)) throw error;
    }
  }
}

async function bindAll(
  primaryWanted: TransportAddress,
  alternateWanted: TransportAddress | undefined,
  options: StartStunServerOptions,
): Promise<RunningStunServer> {
  const udp = options.udp ?? true;
  const tcp = options.tcp ?? true;
  const udpSockets = new Map<string, UdpSocket>();
  const tcpServers: TcpServer[] = [];
  const connections = new Set<TcpSocket>();
  const closeAll = async () => {
    for (const c of connections) c.destroy();
    await Promise.all([
      ...[...udpSockets.values()].map((s) => new Promise<void>((r) => s.close(() => r()))),
      ...tcpServers.map((s) => new Promise<void>((r) => s.close(() => r()))),
    ]);
  };
  try {
    // The first socket on each address fixes its port; the others reuse those ports.
    const bindOne = async (a: TransportAddress): Promise<TransportAddress> => {
      let bound = a;
      if (udp) {
        const s = await bindUdp(a);
        bound = transportAddressFromNode(s.address().address, s.address().port);
        udpSockets.set(key(bound), s);
      }
      if (tcp) {
        const server = await listenTcp(bound);
        tcpServers.push(server);
        const info = server.address();
        if (info !== null && typeof info !== 'string')
          bound = transportAddressFromNode(info.address, info.port);
      }
      return bound;
    };
    const primary = await bindOne(primaryWanted);
    let alternate: TransportAddress | undefined;
    if (alternateWanted !== undefined) {
      const ip1p2 = await bindOne({ ...primary, port: alternateWanted.port });
      alternate = { ...alternateWanted, port: ip1p2.port };
      await bindOne({ ...alternateWanted, port: primary.port });
      await bindOne(alternate);
    }
    const rateLimit = options.rateLimit === undefined ? DEFAULT_SOURCE_RATE_LIMIT : options.rateLimit;
    const core = new StunBindingServer({
      primary,
      ...(alternate ? { alternate } : {}),
      ...(options.software !== undefined ? { software: options.software } : {}),
      ...(rateLimit ? { rateLimit } : {}),
    });
    const debug = options.debug ?? debuglog('stun-server');
    // Every send failure is counted and logged, never thrown: a request must not be able to stop
    // the server (a RESPONSE-PORT the socket refuses, an unroutable or broadcast source, ...).
    const failed = (t: ServerTransmit, error: unknown) => {
      core.noteSendFailure();
      debug(
        `send to ${formatTransportAddress(t.destination)} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    };
    const flush = () => {
      for (let t = core.pollTransmit(); t; t = core.pollTransmit()) {
        const s = udpSockets.get(key(t.source));
        if (s === undefined) {
          failed(t, new Error(`no socket on ${formatTransportAddress(t.source)}`));
          continue;
        }
        const transmit = t;
        try {
          s.send(t.data, t.destination.port, t.destination.address, (error) => {
            if (error) failed(transmit, error);
          });
        } catch (error) {
          failed(t, error);
        }
      }
    };
    for (const [k, s] of udpSockets) {
      const local = fromKey(k);
      s.on('message', (msg, rinfo) => {
        core.handleInput(
          new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
          transportAddressFromNode(rinfo.address, rinfo.port),
          local,
          'udp',
          performance.now(),
        );
        flush();
      });
    }
    for (const server of tcpServers) {
      const info = server.address();
      if (info === null || typeof info === 'string') continue;
      const local = transportAddressFromNode(info.address, info.port);
      server.on('connection', (socket) => {
        connections.add(socket);
        socket.on('close', () => connections.delete(socket));
        socket.on('error', () => {});
        socket.setTimeout(300_000, () => socket.destroy());
        const from = transportAddressFromNode(socket.remoteAddress ?? '0.0.0.0', socket.remotePort ?? 0);
        const framer = new StunStreamFramer();
        socket.on('data', (chunk: Buffer) => {
          for (const m of framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
            core.handleInput(m, from, local, 'tcp', performance.now());
            for (let t = core.pollTransmit(); t; t = core.pollTransmit()) {
              if (socket.destroyed || !socket.writable) core.noteSendFailure();
              else socket.write(t.data);
            }
          }
          if (framer.broken) socket.destroy();
        });
      });
    }
    return {
      primary,
      alternate,
      addresses: core.localAddresses,
      stats: core.stats,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function key(a: TransportAddress): string {
  return `${a.family}|${a.address}|${a.port}`;
}

function fromKey(k: string): TransportAddress {
  const [family, address, port] = k.split('|');
  return { family: family === 'IPv6' ? 'IPv6' : 'IPv4', address: address ?? '', port: Number(port) };
}

function bindUdp(a: TransportAddress): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: a.family === 'IPv6' ? 'udp6' : 'udp4', ipv6Only: a.family === 'IPv6' });
    s.once('error', (e) => {
      s.close();
      reject(withWhere(e, 'UDP', a));
    });
    s.bind(a.port, a.address, () => {
      s.removeAllListeners('error');
      s.on('error', () => {});
      resolve(s);
    });
  });
}

function listenTcp(a: TransportAddress): Promise<TcpServer> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (e) => reject(withWhere(e, 'TCP', a)));
    server.listen({ port: a.port, host: a.address, ipv6Only: a.family === 'IPv6' }, () => {
      server.removeAllListeners('error');
      server.on('error', () => {});
      resolve(server);
    });
  });
}

function withWhere(e: Error, proto: string, a: TransportAddress): Error {
  const err = new Error(
    `cannot listen on ${proto} ${formatTransportAddress(a)}: ${(e as NodeJS.ErrnoException).code ?? e.message} (is the address configured on this host and the port free?)`,
  ) as NodeJS.ErrnoException;
  const code = (e as NodeJS.ErrnoException).code;
  if (code !== undefined) err.code = code;
  return err;
}
