// Starts a real coturn on loopback with a generated configuration, on free ports, for e2e tests and
// the benchmark. Everything it creates lives in a temporary directory removed by stop().
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CoturnOptions {
  /** REST-API (use-auth-secret) mode instead of a static lt-cred-mech user */
  authSecret?: boolean;
  /** extra command-line arguments */
  extraArgs?: string[];
}

export interface Coturn {
  readonly port: number;
  readonly tlsPort: number;
  readonly realm: string;
  readonly username: string;
  readonly password: string;
  readonly secret: string;
  readonly certPath: string;
  readonly log: () => string;
  /** pid of the running turnserver (undefined while stopped) */
  readonly pid: () => number | undefined;
  /** SIGKILL-free stop: SIGTERM, then SIGKILL after 3 s */
  stop(): Promise<void>;
  /** stops and starts again on the same ports: every allocation is lost */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server stops answering without closing anything */
  pause(): void;
  resume(): void;
}

const REALM = 'p2pcat.test';

async function portFree(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  if (!tcp) return false;
  return new Promise<boolean>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port whose base..base+span-1 are all free over TCP and UDP on 127.0.0.1 (checked, not reserved). */
async function freePortRange(span: number, low: number, high: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low - span));
    let ok = true;
    for (let p = base; p < base + span && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no free port range on 127.0.0.1');
}

async function waitForTcp(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`coturn did not listen on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startCoturn(options: CoturnOptions = {}): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), `turn-${process.pid}-coturn-`));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  // listening port, its alt port (+1), TLS port and its alt (+2, +3)
  const base = await freePortRange(4, 20000, 30000);
  const relayBase = await freePortRange(40, 40000, 60000);
  const port = base;
  const tlsPort = base + 2;
  const username = 'alice';
  const password = `pw-${process.pid}`;
  const secret = `secret-${process.pid}`;
  const args = [
    '-n',
    '--no-cli',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    `--alt-listening-port=${port + 1}`,
    `--tls-listening-port=${tlsPort}`,
    `--alt-tls-listening-port=${tlsPort + 1}`,
    `--min-port=${relayBase}`,
    `--max-port=${relayBase + 39}`,
    `--realm=${REALM}`,
    '--allow-loopback-peers',
    `--cert=${certPath}`,
    `--pkey=${keyPath}`,
    '--no-dtls',
    '--no-tlsv1',
    '--no-tlsv1_1',
    '--fingerprint',
    `--userdb=${join(dir, 'turndb')}`,
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    '--log-file=stdout',
    '--simple-log',
    '--no-software-attribute',
    '--verbose',
    ...(options.authSecret
      ? ['--use-auth-secret', `--static-auth-secret=${secret}`]
      : ['--lt-cred-mech', `--user=${username}:${password}`]),
    ...(options.extraArgs ?? []),
  ];
  let child: ChildProcess | undefined;
  let output = '';
  const launch = async () => {
    const c = spawn('turnserver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
    });
    c.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await waitForTcp(port, 10_000);
    await waitForTcp(tlsPort, 10_000);
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGCONT');
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  await launch();
  return {
    port,
    tlsPort,
    realm: REALM,
    username,
    password,
    secret,
    certPath,
    log: () => output,
    pid: () => child?.pid,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await kill();
      await launch();
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
}
