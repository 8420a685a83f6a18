// coturn (Debian's turnserver) with a generated command line: long-term users, TURN REST secret,
// realm, self-signed TLS certificate, two listening addresses so RFC 5780 works.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDetached, killPids, nsRun, run, sleep, spawnDetachedIfSet } from './sh.js';

export interface CoturnOptions {
  /** long-term credential users, user -> password (default { user: 'pass' }) */
  users?: Record<string, string>;
  /** TURN REST API secret (username `expiry:user`, password base64(HMAC-SHA1(secret, username))) */
  staticAuthSecret?: string;
  /** default 'natlab' */
  realm?: string;
  /** TLS listener with a self-signed certificate (default true) */
  tls?: boolean;
  /** more turnserver arguments */
  extraArgs?: string[];
}

export interface StartCoturnOptions extends CoturnOptions {
  /** run inside this network namespace (default: the current one) */
  netns?: string;
  /** listening addresses: two for RFC 5780 (default 127.0.0.1 and 127.0.0.2) */
  addresses?: string[];
  /** STUN/TURN UDP+TCP port (default: a free one; alt port = port + 1) */
  port?: number;
  /** TLS port (default: a free one; alt TLS port = tlsPort + 1) */
  tlsPort?: number;
  /** relay port range (default: 100 ports from a free-looking spot) */
  relayPorts?: [number, number];
  /** where config, certificate and log go (default a fresh directory in the temp dir) */
  workDir?: string;
}

export interface Coturn {
  addresses: string[];
  /**
   * coturn cannot take long-term users and a REST secret in one process, so with staticAuthSecret
   * a second coturn answers REST credentials on restPort (UDP/TCP) and restTlsPort.
   */
  restPort?: number;
  restTlsPort?: number;
  /** UDP and TCP */
  port: number;
  /** RFC 5780 alternate port (port + 1) */
  altPort: number;
  tlsPort?: number;
  users: Record<string, string>;
  realm: string;
  staticAuthSecret?: string;
  /** self-signed certificate (PEM) when TLS is on */
  certificatePem?: string;
  relayPorts: [number, number];
  process: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

function tcpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** A port p such that p and p+1 are free for UDP and TCP on every host (current namespace). */
async function freePortPair(hosts: string[]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 20000) * 2;
    let ok = true;
    for (const h of hosts)
      for (const q of [p, p + 1]) if (!(await udpFree(q, h)) || !(await tcpFree(q, h))) ok = false;
    if (ok) return p;
  }
  throw new Error('natlab: no free port pair for coturn');
}

/**
 * Starts coturn; resolves once it listens on all its ports. With staticAuthSecret a second instance
 * serves the TURN REST form on restPort / restTlsPort (in a namespace: 3488 / 5359).
 */
export async function startCoturn(opts: StartCoturnOptions = {}): Promise<Coturn> {
  const { staticAuthSecret, ...rest } = opts;
  const main = await startOne(rest);
  if (staticAuthSecret === undefined) return main;
  try {
    const local = opts.netns === undefined;
    const restOpts: StartCoturnOptions = { ...rest, users: {}, staticAuthSecret };
    if (!local) {
      restOpts.port = 3488;
      restOpts.tlsPort = 5359;
      restOpts.relayPorts = [49252, 49351];
    } else {
      delete restOpts.port;
      delete restOpts.tlsPort;
      delete restOpts.relayPorts;
    }
    if (opts.workDir !== undefined) restOpts.workDir = join(opts.workDir, 'rest');
    const second = await startOne(restOpts);
    main.staticAuthSecret = staticAuthSecret;
    main.restPort = second.port;
    if (second.tlsPort !== undefined) main.restTlsPort = second.tlsPort;
    const stopMain = main.stop;
    main.stop = async () => {
      await second.stop();
      await stopMain();
    };
    return main;
  } catch (e) {
    await main.stop();
    throw e;
  }
}

async function startOne(opts: StartCoturnOptions): Promise<Coturn> {
  const addresses = opts.addresses ?? ['127.0.0.1', '127.0.0.2'];
  const local = opts.netns === undefined;
  const port = opts.port ?? (local ? await freePortPair(addresses) : 3478);
  const tls = opts.tls ?? true;
  const tlsPort = tls ? (opts.tlsPort ?? (local ? await freePortPair(addresses) : 5349)) : undefined;
  const relayBase = 40000 + Math.floor(Math.random() * 200) * 100;
  const relayPorts = opts.relayPorts ?? (local ? [relayBase, relayBase + 99] : [49152, 49251]);
  const users = opts.users ?? (opts.staticAuthSecret === undefined ? { user: 'pass' } : {});
  const realm = opts.realm ?? 'natlab';
  const dir =
    opts.workDir ?? join(tmpdir(), `natlab-coturn-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  const logFile = join(dir, 'turnserver.log');
  const args = [
    '-n', // no config file
    '--no-cli',
    '--fingerprint',
    '--lt-cred-mech',
    `--realm=${realm}`,
    `--listening-port=${port}`,
    `--alt-listening-port=${port + 1}`,
    `--min-port=${relayPorts[0]}`,
    `--max-port=${relayPorts[1]}`,
    '--no-dtls',
    '--no-multicast-peers',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
    `--log-file=${logFile}`,
    '--simple-log',
    '--no-stdout-log',
    ...addresses.flatMap((a) => ['--listening-ip', a]),
    '--relay-ip',
    addresses[0] ?? '127.0.0.1',
  ];
  // an IPv6 relay address too when coturn listens on IPv6 (REQUESTED-ADDRESS-FAMILY IPv6, RFC 8656)
  const relay6 = addresses.find((a) => a.includes(':'));
  if (relay6 !== undefined && relay6 !== addresses[0]) args.push('--relay-ip', relay6);
  if (local) args.push('--allow-loopback-peers');
  for (const [u, p] of Object.entries(users)) args.push('--user', `${u}:${p}`);
  if (opts.staticAuthSecret !== undefined)
    args.push('--use-auth-secret', `--static-auth-secret=${opts.staticAuthSecret}`);
  let certificatePem: string | undefined;
  if (tls && tlsPort !== undefined) {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=natlab-turn',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    certificatePem = await readFile(cert, 'utf8');
    args.push(
      `--tls-listening-port=${tlsPort}`,
      `--alt-tls-listening-port=${tlsPort + 1}`,
      `--cert=${cert}`,
      `--pkey=${key}`,
    );
  } else args.push('--no-tls');
  args.push(...(opts.extraArgs ?? []));

  const detached = isDetached();
  const child = spawnDetachedIfSet(
    opts.netns
      ? spawn('ip', ['netns', 'exec', opts.netns, 'turnserver', ...args], { stdio: 'ignore', detached })
      : spawn('turnserver', args, { stdio: 'ignore', detached }),
  );
  child.unref(); // a forgotten coturn must not keep Node running (the exit hook or cleanupStale removes it)
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && !exited) await killPids([child.pid]);
    if (opts.workDir === undefined) await rm(dir, { recursive: true, force: true });
  };
  // Ready when every listener shows up in ss (inside the namespace when there is one).
  const want: string[] = [];
  for (const a of addresses) {
    const at = a.includes(':') ? `[${a}]` : a;
    want.push(`udp ${at}:${port}`, `tcp ${at}:${port}`);
    if (tlsPort !== undefined) want.push(`tcp ${at}:${tlsPort}`);
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      await stop();
      throw new Error(
        `natlab: turnserver exited at start; log tail: ${log.trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    const ssArgs = ['-Hlnut'];
    const r = opts.netns
      ? await nsRun(opts.netns, 'ss', ssArgs, { allowFailure: true })
      : await run('ss', ssArgs, { allowFailure: true });
    const seen = new Set(
      r.stdout
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .map((f) => `${f[0]} ${f[4]}`),
    );
    if (want.every((w) => seen.has(w))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `natlab: turnserver did not listen on ${want.filter((w) => !seen.has(w)).join(', ')} within 10 s`,
      );
    }
    await sleep(50);
  }
  const info: Coturn = {
    addresses,
    port,
    altPort: port + 1,
    users,
    realm,
    relayPorts,
    process: child,
    logFile,
    stop,
  };
  if (tlsPort !== undefined) info.tlsPort = tlsPort;
  if (opts.staticAuthSecret !== undefined) info.staticAuthSecret = opts.staticAuthSecret;
  if (certificatePem !== undefined) info.certificatePem = certificatePem;
  return info;
}
