// Starts Debian's coturn (turnserver) on loopback for the e2e tests: STUN only, two listening
// addresses (127.0.0.1 and 127.0.0.2) with an alternate port so RFC 5780 works, no CLI, no TLS.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stunBinding } from '../src/index.js';

export interface LoopbackCoturn {
  addresses: [string, string];
  port: number;
  altPort: number;
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

async function freePortPair(hosts: string[]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 20000) * 2;
    let ok = true;
    for (const h of hosts) {
      for (const port of [p, p + 1]) ok = ok && (await udpFree(port, h)) && (await tcpFree(port, h));
    }
    if (ok) return p;
  }
  throw new Error('no free port pair on loopback');
}

export async function startLoopbackCoturn(): Promise<LoopbackCoturn> {
  const addresses: [string, string] = ['127.0.0.1', '127.0.0.2'];
  const port = await freePortPair(addresses);
  const dir = await mkdtemp(join(tmpdir(), `stun-e2e-${process.pid}-`));
  const config = join(dir, 'turnserver.conf');
  await writeFile(
    config,
    [
      ...addresses.map((a) => `listening-ip=${a}`),
      `listening-port=${port}`,
      `alt-listening-port=${port + 1}`,
      'stun-only',
      'no-cli',
      'no-tls',
      'no-dtls',
      'simple-log',
      `log-file=${join(dir, 'turn.log')}`,
      `pidfile=${join(dir, 'turn.pid')}`,
      'no-software-attribute',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('turnserver', ['-c', config], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const stop = async () => {
    if (!exited) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  // Ready when it answers a Binding request.
  for (let i = 0; i < 100 && !exited; i++) {
    const [r] = await stunBinding([`127.0.0.1:${port}`], { deadline: 200, rto: 50 });
    if (r?.mapped) return { addresses, port, altPort: port + 1, stop };
  }
  await stop();
  throw new Error('coturn did not start answering STUN on loopback');
}
