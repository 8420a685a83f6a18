// A scripted malicious peer that speaks p2pcat's record protocol drives the REAL built CLI
// (dist/bin.js) over the real ICE + pseudo-TCP path on loopback: the CLI invites, this process
// joins with p2pcat's own modules (endpoint, keys, records) and then sends whatever the case needs.
// No lab and no root: loopback only (--loopback --no-stun --no-portmap).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectToPeer, type EndpointOptions, prepareEndpoint } from '../src/endpoint.js';
import { runHandshake } from '../src/handshake.js';
import { deriveKeys, generateEphemeralKeyPair } from '../src/keys.js';
import { encodeJson, RecordType } from '../src/messages.js';
import { type Record, RecordOpener, RecordSealer } from '../src/records.js';
import { decodeToken, encodeToken } from '../src/token.js';
import { CLI, removeWorkDirs, waitForFile, workDir } from './harness.js';

interface Peer {
  send(type: number, payload?: Uint8Array): void;
  /** records the CLI sent us so far */
  records: Record[];
  /** bytes of records received so far */
  bytesIn: number;
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
  /** transport FIN (no EOF/BYE record) */
  fin(): void;
}

interface Outcome {
  code: number | null;
  stderr: string;
  records: Record[];
}

const json = (v: unknown) => encodeJson(v);
const hello = (mode: 'pipe' | 'files') => json({ version: 1, mode });
const entry = (path: string, size: number) => json({ path, type: 'file', size });

/**
 * Starts `p2pcat --invite ARGS` (in its own session: no controlling terminal), joins it as the
 * scripted peer, runs `script`, and waits for the CLI to exit.
 */
async function againstCli(
  args: string[],
  script: (peer: Peer, child: ChildProcess, output: () => string) => Promise<void>,
  cwd: string,
  terminal = false,
): Promise<Outcome> {
  const invitePath = join(cwd, '..', `invite-${process.hrtime.bigint()}.txt`);
  const answerPath = `${invitePath}.answer`;
  const cliArgs = [
    CLI,
    '--invite',
    '--invite-to',
    invitePath,
    '--answer-from',
    answerPath,
    '--loopback',
    '--no-stun',
    '--no-portmap',
    '--ipv4',
    '--timeout',
    '20',
    ...args,
  ];
  // terminal: under script(1), which gives the CLI a pseudo-terminal as its controlling terminal
  // (and as stdin/stdout/stderr); the test types into script's standard input.
  const child = terminal
    ? spawn('script', ['-qfec', [process.execPath, ...cliArgs].join(' '), '/dev/null'], {
        cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      })
    : spawn(process.execPath, cliArgs, { cwd, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const output = () => stderr;
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  const epOpts: EndpointOptions = {
    role: 'joiner',
    stunServers: [],
    turnServers: [],
    portMapping: false,
    ipv4: true,
    ipv6: false,
    includeLoopback: true,
    connectTimeout: 20_000,
  };
  const ep = await prepareEndpoint(epOpts);
  const records: Record[] = [];
  try {
    const invite = decodeToken(
      await Promise.race([
        waitForFile(invitePath, 20_000),
        exited.then((c) => {
          throw new Error(`the CLI exited early (${c}): ${stderr}`);
        }),
      ]),
      Date.now(),
      { allowLoopback: true },
    );
    const kp = generateEphemeralKeyPair();
    const answer = encodeToken({
      kind: 'answer',
      expiresAt: invite.expiresAt,
      ufragBytes: ep.ufragBytes,
      pwdBytes: ep.pwdBytes,
      publicKey: kp.publicKey,
      candidates: ep.candidates,
    });
    writeFileSync(answerPath, `${answer.text}\n`);
    const { stream } = await connectToPeer(ep, invite, epOpts);
    const derived = deriveKeys(kp, invite.publicKey, 'joiner', invite.raw, answer.raw);
    // The verification handshake comes first (nonce reveal, READY both ways); a hostile peer
    // has to pass it too, since it holds the keys: what it sends after that is the test.
    await runHandshake({
      stream,
      role: 'joiner',
      keys: derived.handshake,
      ...(invite.commitment ? { commitment: invite.commitment } : {}),
      gate: async () => true,
    });
    const keys = derived.session;
    const sealer = new RecordSealer(keys.sendKey);
    const opener = new RecordOpener(keys.receiveKey);
    const peer: Peer = {
      records,
      bytesIn: 0,
      send: (type, payload) => {
        stream.write(sealer.seal(type, payload));
      },
      waitFor: async (pred, timeoutMs = 15_000) => {
        const end = Date.now() + timeoutMs;
        while (!pred()) {
          if (Date.now() > end) throw new Error(`timed out; CLI said: ${stderr}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      fin: () => stream.end(),
    };
    stream.on('data', (c: Buffer) => {
      peer.bytesIn += c.length;
      for (const r of opener.push(c)) records.push(r);
    });
    stream.on('error', () => {});
    await script(peer, child, output);
    const code = await exited;
    stream.destroy();
    return { code, stderr, records };
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await ep.close();
  }
}

const abortReason = (o: Outcome) => {
  const r = o.records.find((x) => x.type === RecordType.Abort);
  return r ? (JSON.parse(r.payload.toString()) as { reason: string }).reason : undefined;
};

/** Sends a whole file (HELLO, ENTRY, ENTRIES_END, data, FILE_END, EOF) as an honest sender would. */
async function offerFile(peer: Peer, path: string, content: Buffer) {
  const { createHash } = await import('node:crypto');
  peer.send(RecordType.Hello, hello('files'));
  peer.send(RecordType.Entry, entry(path, content.length));
  peer.send(RecordType.EntriesEnd);
  peer.send(RecordType.FileData, content);
  peer.send(RecordType.FileEnd, createHash('sha256').update(content).digest());
  peer.send(RecordType.Eof);
}

const exitedOrAbort = (peer: Peer) =>
  peer.waitFor(() => peer.records.some((r) => r.type === RecordType.Abort));

const hasScript = existsSync('/usr/bin/script') || existsSync('/bin/script');

/** No raw ESC and no raw U+202E reached the terminal. */
const raw = (stderr: string) => ['\u001b', '\u202e'].filter((c) => stderr.includes(c));

if (!existsSync(CLI))
  throw new Error(`${CLI} is missing: build p2pcat first (npx tsc -p apps/p2pcat/tsconfig.json)`);

describe('a hostile peer against the real CLI (loopback ICE + pseudo-TCP)', () => {
  afterAll(async () => {
    await removeWorkDirs();
  });

  it('files offered to a --send side are refused: exit 5, nothing written, the peer is told', async () => {
    const home = await workDir('home');
    await writeFile(join(home, 'report.txt'), 'the report');
    const o = await againstCli(
      ['--send', 'report.txt', '--yes'],
      async (peer) => {
        await offerFile(peer, 'authorized_keys', Buffer.from('ssh-ed25519 AAAA attacker'));
        await exitedOrAbort(peer);
      },
      home,
    );
    expect(o.code, o.stderr).toBe(5);
    expect(o.stderr).toMatch(/p2pcat: protocol error: the peer offers files, but a side that sends files/);
    expect(await readdir(home)).toEqual(['report.txt']);
    expect(abortReason(o)).toMatch(/receives none/);
  }, 45_000);

  it('files offered without --yes and without a terminal: exit 1, told to use --yes, "the receiver declined"', async () => {
    const home = await workDir('noyes');
    const o = await againstCli(
      [],
      async (peer) => {
        await offerFile(peer, 'notes.txt', Buffer.from('hello'));
        await exitedOrAbort(peer);
      },
      home,
    );
    expect(o.code, o.stderr).toBe(1);
    expect(o.stderr).toMatch(/no terminal to ask: run with --yes to accept them; nothing was written/);
    expect(o.stderr).toMatch(/^p2pcat: .*--yes.*$/m);
    expect(abortReason(o)).toBe('the receiver declined');
    expect(await readdir(home)).toEqual([]);
  }, 45_000);

  it.each([
    ['.ssh/authorized_keys', /hidden name; --allow-hidden accepts it/],
    ['.bash_profile', /hidden name/],
    ['report\u202Etxt.exe', /report\\u202etxt\.exe.*control character/],
  ])(
    'the name %j is refused even with --yes: exit 1, nothing written, shown escaped',
    async (name, why) => {
      const home = await workDir('names');
      const o = await againstCli(
        ['--yes'],
        async (peer) => {
          await offerFile(peer, name, Buffer.from('payload'));
          await exitedOrAbort(peer);
        },
        home,
      );
      expect(o.code, o.stderr).toBe(1);
      expect(o.stderr).toMatch(why);
      expect(raw(o.stderr)).toEqual([]);
      expect(await readdir(home)).toEqual([]);
    },
    45_000,
  );

  it.skipIf(!hasScript)(
    'on a terminal the receiver shows the offer and asks: "n" declines (exit 1), "y" accepts (exit 0)',
    async () => {
      const home = await workDir('tty');
      const content = Buffer.from('hello');
      const no = await againstCli(
        [],
        async (peer, child, output) => {
          await offerFile(peer, 'notes.txt', content);
          await peer.waitFor(() => output().includes('[y/N]'));
          child.stdin?.write('n\r');
          await exitedOrAbort(peer);
        },
        home,
        true,
      );
      expect(no.code, no.stderr).toBe(1);
      expect(no.stderr).toMatch(
        /The peer offers 1 file, 5 B in all:\r?\n {2}notes\.txt\r?\nAccept and write them into \.\? \[y\/N\]/,
      );
      expect(no.stderr).toMatch(/p2pcat: you declined the files: nothing was written/);
      expect(abortReason(no)).toBe('the receiver declined');
      expect(await readdir(home)).toEqual([]);
      const yes = await againstCli(
        [],
        async (peer, child, output) => {
          await offerFile(peer, 'notes.txt', content);
          await peer.waitFor(() => output().includes('[y/N]'));
          child.stdin?.write('y\r');
          await peer.waitFor(() => peer.records.some((r) => r.type === RecordType.Bye));
          peer.send(RecordType.Bye);
        },
        home,
        true,
      );
      expect(yes.code, yes.stderr).toBe(0);
      expect(await readFile(join(home, 'notes.txt'), 'utf8')).toBe('hello');
    },
    60_000,
  );

  it('files after declaring a pipe: exit 5, nothing written', async () => {
    const home = await workDir('mode');
    const o = await againstCli(
      ['--yes'],
      async (peer) => {
        peer.send(RecordType.Hello, hello('pipe'));
        peer.send(RecordType.Entry, entry('x.txt', 1));
        await exitedOrAbort(peer);
      },
      home,
    );
    expect(o.code, o.stderr).toBe(5);
    expect(o.stderr).toMatch(/protocol error: the peer announced a pipe but sent files/);
    expect(await readdir(home)).toEqual([]);
  }, 45_000);

  it('a transport FIN without the authenticated EOF/BYE after reading 64 KiB: the sender exits 4', async () => {
    const home = await workDir('fin');
    await writeFile(join(home, 'big.bin'), Buffer.alloc(2_000_000, 7));
    const o = await againstCli(
      ['--send', 'big.bin'],
      async (peer) => {
        peer.send(RecordType.Hello, hello('pipe'));
        peer.send(RecordType.Eof);
        await peer.waitFor(() => peer.bytesIn > 64 * 1024);
        peer.fin();
      },
      home,
    );
    expect(o.code, o.stderr).toBe(4);
    expect(o.stderr).toMatch(
      /p2pcat: the peer closed the connection without confirming that it received everything/,
    );
  }, 45_000);

  it('a connected but silent peer with --idle-timeout 2: exit 4, no .part, no directory left', async () => {
    const home = await workDir('idle');
    const out = join(home, 'out');
    await mkdir(out);
    const t0 = Date.now();
    let connectedAt = 0;
    const o = await againstCli(
      ['--yes', '--out', 'out', '--idle-timeout', '2'],
      async (peer) => {
        connectedAt = Date.now();
        peer.send(RecordType.Hello, hello('files'));
        peer.send(RecordType.Entry, entry('d/slow.bin', 1_000_000));
        peer.send(RecordType.EntriesEnd);
        peer.send(RecordType.FileData, Buffer.alloc(65536, 1));
        await peer.waitFor(() => existsSync(join(out, 'd')));
        // ... and now nothing: the connection stays up (pseudo-TCP still ACKs), no record comes
      },
      home,
    );
    expect(o.code, o.stderr).toBe(4);
    expect(o.stderr).toMatch(/the peer sent nothing for 2 s \(--idle-timeout\)/);
    expect(Date.now() - connectedAt).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(await readdir(out)).toEqual([]);
  }, 45_000);

  it('Ctrl-C (SIGINT) mid-file: exit 130, no .part, no file, the directories it made are gone', async () => {
    const home = await workDir('sigint');
    const out = join(home, 'out');
    await mkdir(out);
    const o = await againstCli(
      ['--yes', '--out', 'out'],
      async (peer, child) => {
        peer.send(RecordType.Hello, hello('files'));
        peer.send(RecordType.Entry, entry('d/sub/big.bin', 50_000_000));
        peer.send(RecordType.EntriesEnd);
        let stop = false;
        const feeder = (async () => {
          while (!stop) {
            peer.send(RecordType.FileData, Buffer.alloc(65536, 2));
            await new Promise((r) => setTimeout(r, 5));
          }
        })();
        const sub = join(out, 'd', 'sub');
        await peer.waitFor(() => existsSync(sub) && readdirSync(sub).some((n) => n.endsWith('.part')));
        child.kill('SIGINT');
        await exitedOrAbort(peer).catch(() => {});
        stop = true;
        await feeder;
      },
      home,
    );
    expect(o.code, o.stderr).toBe(130);
    expect(o.stderr).toMatch(/p2pcat: interrupted: the peer was told, nothing partial was kept/);
    expect(abortReason(o)).toBe('the other side interrupted the transfer');
    expect(await readdir(out)).toEqual([]);
  }, 45_000);

  it('an ABORT reason with ESC[2J and U+202E is printed escaped', async () => {
    const home = await workDir('abort');
    const o = await againstCli(
      [],
      async (peer) => {
        peer.send(RecordType.Hello, hello('pipe'));
        peer.send(
          RecordType.Abort,
          json({ reason: 'oops\u001b[2J\u001b]0;owned\u0007 \u202Eexe.txt\nfake line' }),
        );
      },
      home,
    );
    expect(o.code, o.stderr).toBe(4);
    expect(o.stderr).toContain(
      'p2pcat: the peer aborted: oops\\x1b[2J\\x1b]0;owned\\x07 \\u202eexe.txt\\x0afake line',
    );
    expect(raw(o.stderr)).toEqual([]);
  }, 45_000);
});
