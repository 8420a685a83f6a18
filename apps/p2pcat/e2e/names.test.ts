// `p2pcat candidates` and `p2pcat nat-check` with STUN servers given by name (issue 14): the name is
// resolved (system resolver, /etc/hosts), the reply from the resolved IP is matched, and a name
// that does not resolve is one line. A UDP relay in front of the STUN server plays the NAT, so the
// server-reflexive address differs from the host candidate and is printed (RFC 8445 §5.1.3).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startUdpRelay, type UdpRelay } from '@p2pcat/natlab';
import { type RunningStunServer, startStunServer } from '@p2pcat/stun';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
/** A private network namespace needs root (unshare -n); under CI it must be there. */
const canIsolate = process.getuid?.() === 0 || process.env.CI === 'true';

/**
 * Runs the CLI; with `isolated`, in a network namespace of its own with only loopback up, so that
 * a name missing from /etc/hosts fails inside this machine (no route to any DNS server) instead of
 * sending a query to the machine's resolver: tests send nothing off this machine.
 */
function run(
  args: string[],
  isolated = false,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = isolated
      ? spawn(
          'unshare',
          ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, CLI, ...args],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        )
      : spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
  });
}

describe.skipIf(!existsSync(CLI))('p2pcat with STUN servers by name', () => {
  let server: RunningStunServer;
  let relay: UdpRelay;
  beforeAll(async () => {
    server = await startStunServer({ listen: '127.0.0.1:0' });
    relay = await startUdpRelay({
      target: { address: '127.0.0.1', port: server.addresses[0]!.port },
      seed: 7,
    });
  });
  afterAll(async () => {
    await relay?.close();
    await server?.close();
  });

  test('candidates --stun localhost:PORT prints a server-reflexive row', async () => {
    const r = await run(['candidates', '--stun', `localhost:${relay.port}`, '--no-portmap', '--loopback']);
    expect(r.stderr).not.toMatch(/no answer|does not resolve/);
    const srflx = r.stdout.split('\n').filter((l) => l.startsWith('srflx'));
    expect(srflx.length).toBeGreaterThanOrEqual(1);
    expect(srflx[0]).toContain(`localhost:${relay.port}`);
    expect(r.code).toBe(0);
  });

  test.skipIf(!canIsolate)(
    'candidates --stun with a name that does not resolve: one line, no wait',
    async () => {
      const r = await run(
        ['candidates', '--stun', 'nonexistent.invalid:3478', '--no-portmap', '--loopback'],
        true,
      );
      expect(r.stderr).toMatch(
        /^note: STUN server nonexistent\.invalid:3478: the name (does not resolve|could not be resolved) \(E[A-Z_]+\)$/m,
      );
      expect(r.ms).toBeLessThan(5000);
      expect(r.code).toBe(0); // host candidates were still found
    },
  );

  test.skipIf(!canIsolate)(
    'nat-check --stun with a name that does not resolve, or a bad port: one line each',
    async () => {
      const r = await run(['nat-check', '--stun', 'nonexistent.invalid:3478'], true);
      expect(r.stderr).toMatch(
        /STUN server nonexistent\.invalid:3478: the name (does not resolve|could not be resolved) \(E[A-Z_]+\)/,
      );
      expect(r.code).not.toBe(0);
      const bad = await run(['nat-check', '--stun', 'localhost:99999']);
      expect(bad.stderr).toMatch(/the port must be 1-65535/);
      expect(bad.code).not.toBe(0);
      expect(bad.code).not.toBe(r.code);
    },
  );
});
