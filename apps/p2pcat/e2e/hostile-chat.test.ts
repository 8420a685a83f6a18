// Issue 13 through the real CLI on this machine (loopback, no root): an invite read by someone
// else, a second answer to the same invite, tokens with unusable candidates, and two sides with
// no address family in common (issue 14). No process here has a terminal (setsid).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeToken, type TokenCandidate } from '../src/token.js';
import { CLI, removeWorkDirs, workDir, writeRandomFile } from './harness.js';
import { killAll, LOCAL, p2pcat, tokenIn, until } from './local.js';

afterEach(() => killAll());
afterAll(() => removeWorkDirs());

const sha = async (p: string) =>
  createHash('sha256')
    .update(await readFile(p))
    .digest('hex');

describe('an invite read by someone else (issue 13, item 3)', () => {
  it('without a terminal and without --yes, an in-band answer is ignored; the pasted answer gets the file', async () => {
    const dir = await workDir('reader');
    writeRandomFile(join(dir, 'secret.bin'), 300_000, 'reader');
    const out = join(dir, 'out');
    await mkdir(out);
    const inviter = p2pcat([
      '--invite',
      ...LOCAL,
      '--invite-to',
      join(dir, 'invite'),
      '--answer-from',
      join(dir, 'answer'),
      '--send',
      join(dir, 'secret.bin'),
      '--timeout',
      '20',
    ]);
    const invite = await tokenIn(join(dir, 'invite'));
    // The reader of the chat answers at once; its answer reaches the inviter in-band.
    const reader = p2pcat([invite, ...LOCAL, '--answer-to', join(dir, 'reader-answer'), '--out', out]);
    await until('the ignored in-band answer', () =>
      /arrived directly from the network and was ignored/.test(inviter.stderr()),
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(inviter.stderr()).not.toMatch(/Connected/);
    reader.kill();
    await reader.done;
    // The real joiner's answer comes through the file, as pasted.
    // --yes: a receiver without a terminal accepts files only with it (hostile-peer.test.ts).
    const joiner = p2pcat([
      invite,
      ...LOCAL,
      '--yes',
      '--answer-to',
      join(dir, 'joiner-answer'),
      '--out',
      out,
    ]);
    await writeFile(join(dir, 'answer'), `${await tokenIn(join(dir, 'joiner-answer'))}\n`);
    const [i, j] = await Promise.all([inviter.done, joiner.done]);
    expect(i.code, i.stderr).toBe(0);
    expect(j.code, j.stderr).toBe(0);
    expect(await sha(join(out, 'secret.bin'))).toBe(await sha(join(dir, 'secret.bin')));
    // both showed the same 8-digit code
    const code = (s: string) => /Verification code: (\d{4} \d{4})/.exec(s)?.[1];
    expect(code(i.stderr)).toBeDefined();
    expect(code(i.stderr)).toBe(code(j.stderr));
  }, 60_000);

  it('with --yes the in-band answer is taken; the real answer arriving later stops all three with exit 5', async () => {
    const dir = await workDir('second');
    const inviter = p2pcat(
      [
        '--invite',
        ...LOCAL,
        '--yes',
        '--invite-to',
        join(dir, 'invite'),
        '--answer-from',
        join(dir, 'answer'),
        '--timeout',
        '20',
      ],
      'pipe',
    );
    const invite = await tokenIn(join(dir, 'invite'));
    const reader = p2pcat([invite, ...LOCAL, '--answer-to', join(dir, 'reader-answer')], 'pipe');
    await until('the session with the reader', () => /Connected over/.test(inviter.stderr()));
    inviter.child.stdin?.write('first words\n'); // the pipe stays open: a session in progress
    await until('data at the reader', () => reader.stdout().toString().includes('first words'));
    const joiner = p2pcat([invite, ...LOCAL, '--answer-to', join(dir, 'joiner-answer')], 'pipe');
    await writeFile(join(dir, 'answer'), `${await tokenIn(join(dir, 'joiner-answer'))}\n`);
    const [i, r, j] = await Promise.all([inviter.done, reader.done, joiner.done]);
    expect(i.code, i.stderr).toBe(5);
    expect(i.stderr).toMatch(
      /p2pcat: someone else answered your invite: a second, different answer arrived .*make a new invite/,
    );
    expect(j.code, j.stderr).toBe(5);
    expect(j.stderr).toMatch(/p2pcat: someone else answered this invite first/);
    // The reader is told by the notice (5), or by the session's ABORT if that came first (4).
    expect([4, 5], r.stderr).toContain(r.code);
  }, 60_000);
});

/** p2pcat with a terminal of its own (util-linux `script` gives it a pty); what it prints, and its stdin. */
function onTerminal(args: string[]): {
  out: () => string;
  type: (s: string) => void;
  done: Promise<number | null>;
  kill: () => void;
} {
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', quoted, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return {
    out: () => out,
    type: (s) => child.stdin?.write(s),
    done: new Promise((resolve) => child.once('close', (code) => resolve(code))),
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

const hasScript = spawnSync('script', ['--version']).status === 0;

describe.skipIf(!hasScript)('--confirm and an in-band answer on a terminal (issue 13, items 2 and 3)', () => {
  it('the in-band answer makes the inviter ask; nothing arrives before "y"; then the file does', async () => {
    const dir = await workDir('confirm-yes');
    writeRandomFile(join(dir, 'f.bin'), 200_000, 'confirm');
    const out = join(dir, 'out');
    await mkdir(out);
    const inviter = onTerminal([
      '--invite',
      ...LOCAL,
      '--invite-to',
      join(dir, 'invite'),
      '--answer-from',
      join(dir, 'answer'),
      '--send',
      join(dir, 'f.bin'),
    ]);
    try {
      const joiner = p2pcat([
        await tokenIn(join(dir, 'invite')),
        ...LOCAL,
        '--yes', // the joiner has no terminal: it accepts files only with --yes
        '--answer-to',
        join(dir, 'a'),
        '--out',
        out,
      ]);
      await until('the question', () =>
        /Does the other side show the same code\? \[y\/N\]/.test(inviter.out()),
      );
      expect(inviter.out()).toMatch(
        /answer arrived directly from the other side: compare the verification code/,
      );
      await new Promise((r) => setTimeout(r, 1000));
      expect(existsSync(join(out, 'f.bin'))).toBe(false);
      expect(joiner.child.exitCode).toBeNull();
      inviter.type('y\n');
      const [i, j] = await Promise.all([inviter.done, joiner.done]);
      expect(i, inviter.out()).toBe(0);
      expect(j.code, j.stderr).toBe(0);
      expect(await sha(join(out, 'f.bin'))).toBe(await sha(join(dir, 'f.bin')));
    } finally {
      inviter.kill();
    }
  }, 60_000);

  it('--confirm answered "n": both sides exit 5, nothing sent', async () => {
    const dir = await workDir('confirm-no');
    const inviter = p2pcat(
      ['--invite', ...LOCAL, '--invite-to', join(dir, 'invite'), '--answer-from', join(dir, 'answer')],
      'pipe',
    );
    inviter.child.stdin?.write('not to be sent\n');
    const joiner = onTerminal([
      await tokenIn(join(dir, 'invite')),
      ...LOCAL,
      '--confirm',
      '--answer-to',
      join(dir, 'answer'),
    ]);
    try {
      await until('the question', () => /Does the other side show the same code/.test(joiner.out()));
      joiner.type('n\n');
      const [i, j] = await Promise.all([inviter.done, joiner.done]);
      expect(j, joiner.out()).toBe(5);
      expect(joiner.out()).toMatch(
        /p2pcat: the verification codes differ: someone may be in the middle; nothing was sent/,
      );
      expect(joiner.out()).not.toMatch(/not to be sent/);
      expect(i.code, i.stderr).toBe(5);
      expect(i.stderr).toMatch(/p2pcat: the other side says the verification codes differ/);
    } finally {
      joiner.kill();
    }
  }, 60_000);

  it('--confirm without a terminal: exit 2 at once', async () => {
    const r = await p2pcat(['--invite', ...LOCAL, '--confirm']).done;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--confirm needs a terminal/);
  });
});

describe('tokens with unusable candidates (issue 13, item 4): exit 2, one line', () => {
  const invite = (c: TokenCandidate[]) =>
    encodeToken({
      kind: 'invite',
      expiresAt: Math.floor(Date.now() / 1000) + 600,
      ufragBytes: new Uint8Array(3).fill(1),
      pwdBytes: new Uint8Array(15).fill(2),
      publicKey: new Uint8Array(32).fill(9),
      commitment: new Uint8Array(16).fill(4),
      candidates: c,
    }).text;
  for (const [address, port, why] of [
    ['192.0.2.7', 0, /port 0/],
    ['0.0.0.0', 4000, /unspecified/],
    ['224.0.0.1', 4000, /multicast/],
    ['255.255.255.255', 4000, /broadcast/],
    ['127.0.0.1', 4000, /loopback/],
  ] as const) {
    it(`${address}:${port}`, async () => {
      const p = p2pcat([
        invite([{ type: 'host', address, port, priority: 1, foundation: '0' }]),
        '--no-stun',
        '--no-portmap',
      ]);
      const r = await p.done;
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(why)]);
    });
  }
});

describe('no address family in common (issue 14)', () => {
  it('inviter --ipv4, joiner --ipv6: both exit 3 and say why', async () => {
    const dir = await workDir('family');
    const inviter = p2pcat([
      '--invite',
      ...LOCAL,
      '--ipv4',
      '--invite-to',
      join(dir, 'invite'),
      '--answer-from',
      join(dir, 'answer'),
      '--timeout',
      '10',
    ]);
    const joiner = p2pcat([
      await tokenIn(join(dir, 'invite')),
      ...LOCAL,
      '--ipv6',
      '--answer-to',
      join(dir, 'answer'),
      '--timeout',
      '10',
    ]);
    const [i, j] = await Promise.all([inviter.done, joiner.done]);
    for (const r of [i, j]) {
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/the two sides have no address family in common/);
    }
    expect(j.stderr).toMatch(/this side has IPv6, the other side IPv4/);
  }, 30_000);
});
