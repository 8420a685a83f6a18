// socket.unref() lets a process with an idle pseudo-TCP stream over udpTransport exit, and a
// referenced socket keeps it alive, on both I/O paths: on the native one the socket is read
// through the addon's own libuv watch (UDP GRO), which must follow the socket's ref state as
// node:dgram's handle does. The package's test script runs this file with and without the addon.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./socket-ref-child.ts', import.meta.url));
const addonFile = fileURLToPath(
  new URL(`../dist/native/${process.platform}-${process.arch}/udp-batch.node`, import.meta.url),
);
const expectNative =
  process.env.P2PCAT_NO_NATIVE !== '1' && process.platform === 'linux' && existsSync(addonFile);
const LIMIT_MS = 15_000;

/** Runs the child in `mode`; its output and exit code, or timedOut if it had to be killed. */
function run(mode: string): Promise<{ out: string; code: number | null; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, mode], {
      cwd: pkg,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, LIMIT_MS);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (err !== '') out += `stderr: ${err}`;
      resolve({ out, code, timedOut });
    });
  });
}

describe(`socket ref state with a stream over udpTransport (${expectNative ? 'native, GRO' : 'node:dgram'} path)`, () => {
  test.each(['unref', 'unref-early', 'released-unref'])(
    '%s: the process exits by itself once the stream is idle',
    async (mode) => {
      const r = await run(mode);
      expect(r.out).toContain(`native=${expectNative}\nidle\n`);
      expect(r.timedOut).toBe(false);
      expect(r.out).not.toContain('closing');
      expect(r.code).toBe(0);
    },
    LIMIT_MS + 10_000,
  );

  test.each(['ref', 'unref-ref', 'released-ref'])(
    '%s: the process stays alive until it closes the streams (and sockets)',
    async (mode) => {
      const r = await run(mode);
      expect(r.out).toBe(`native=${expectNative}\nidle\nclosing\n`);
      expect(r.timedOut).toBe(false);
      expect(r.code).toBe(0);
    },
    LIMIT_MS + 10_000,
  );
});
