// e2e: the stun-server and nat-check command lines (built into dist/ by the test task's build step).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseTransportAddress, stunBinding } from '../src/index.js';

const run = promisify(execFile);
const bin = (name: string) => fileURLToPath(new URL(`../dist/bin/${name}.js`, import.meta.url));
const built = existsSync(bin('stun-server')) && existsSync(bin('nat-check'));
if (!built) process.stderr.write('skipped: build packages/stun first (dist/bin missing)\n');

describe.skipIf(!built)('stun-server and nat-check binaries', () => {
  let child: ChildProcess;
  let addresses: string[] = [];
  beforeAll(async () => {
    child = spawn(process.execPath, [bin('stun-server'), '--listen', '127.0.0.1:0', '--alt', '127.0.0.2:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    addresses = await new Promise<string[]>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('RFC 5780 enabled')) {
          resolve([...out.matchAll(/listening on udp\+tcp (\S+)/g)].map((m) => m[1] ?? ''));
        }
      });
      child.once('exit', (code) => reject(new Error(`stun-server exited with ${code}`)));
    });
  });
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  test('listens on four addresses and answers Binding requests', async () => {
    expect(addresses).toHaveLength(4);
    const results = await stunBinding(addresses, { deadline: 2000 });
    for (const r of results) expect(r.mapped?.address).toBe('127.0.0.1');
  });

  test('nat-check --json against it: no NAT on loopback', async () => {
    const primary = parseTransportAddress(addresses[0] ?? '');
    const { stdout } = await run(
      process.execPath,
      [bin('nat-check'), '--stun', `127.0.0.1:${primary.port}`, '--timeout', '800', '--json'],
      { timeout: 10_000 },
    );
    const b = JSON.parse(stdout) as { mapping: string; filtering: string; rfc5780: boolean };
    expect(b).toMatchObject({ mapping: 'no-nat', filtering: 'endpoint-independent', rfc5780: true });
  });

  test('nat-check human report', async () => {
    const primary = parseTransportAddress(addresses[0] ?? '');
    const { stdout } = await run(
      process.execPath,
      [bin('nat-check'), '--stun', `127.0.0.1:${primary.port}`, '--timeout', '800'],
      { timeout: 10_000 },
    );
    expect(stdout).toMatch(/^mapped address {2}127\.0\.0\.1:\d+ \(local 127\.0\.0\.1:\d+\)$/m);
    expect(stdout).toMatch(/^mapping {9}no-nat$/m);
    expect(stdout).toMatch(/public and open/);
  });

  test('nat-check against nothing: exit code 1 and one line', async () => {
    const r = await run(process.execPath, [
      bin('nat-check'),
      '--stun',
      '127.0.0.1:9',
      '--timeout',
      '300',
    ]).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 1 });
    expect((r as { stderr: string }).stderr).toMatch(
      /^nat-check: no answer from STUN server 127\.0\.0\.1:9: .*\n$/,
    );
  });

  test('bad arguments: exit code 2 and a one-line reason', async () => {
    const r = await run(process.execPath, [bin('stun-server')]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(r).toMatchObject({ code: 2 });
    expect((r as { stderr: string }).stderr.split('\n')[0]).toMatch(/--listen ADDR:PORT is required/);
  });

  test('an address it cannot use: exit code 1', async () => {
    const r = await run(process.execPath, [bin('stun-server'), '--listen', '192.0.2.123:3478']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(r).toMatchObject({ code: 1 });
    expect((r as { stderr: string }).stderr).toMatch(/cannot listen on UDP 192\.0\.2\.123:3478/);
  });
});
