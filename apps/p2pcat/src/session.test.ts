import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex, PassThrough, Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { hasTerminalUnsafe } from './escape.js';
import type { UserError } from './exit-codes.js';
import { deriveSessionKeys, generateEphemeralKeyPair } from './keys.js';
import { encodeJson, RecordType } from './messages.js';
import { RecordOpener, RecordSealer } from './records.js';
import { runSession, type SendSpec, type SessionOptions } from './session.js';

function duplexPair(tamper?: (chunk: Buffer) => Buffer): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  const a = Duplex.from({ readable: bToA, writable: aToB });
  const bIn = tamper ? aToB.pipe(new PassThrough({ transform: (c, _e, cb) => cb(null, tamper(c)) })) : aToB;
  const b = Duplex.from({ readable: bIn, writable: bToA });
  return [a, b];
}

function keys() {
  const x = generateEphemeralKeyPair();
  const y = generateEphemeralKeyPair();
  const i = Buffer.from('invite');
  const a = Buffer.from('answer');
  return [
    deriveSessionKeys(x, y.publicKey, 'inviter', i, a),
    deriveSessionKeys(y, x.publicKey, 'joiner', i, a),
  ] as const;
}

class Sink extends Writable {
  chunks: Buffer[] = [];
  override _write(c: Buffer, _e: BufferEncoding, cb: () => void) {
    this.chunks.push(c);
    cb();
  }
  get data() {
    return Buffer.concat(this.chunks);
  }
}

const dirs: string[] = [];
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'p2pcat-test-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const emptyPipe = (): SendSpec => ({ kind: 'pipe', input: Readable.from([]), inputIsTty: false });

describe('session', () => {
  test('pipe both ways with half-close', async () => {
    const [ka, kb] = keys();
    const [sa, sb] = duplexPair();
    const big = randomBytes(Number(process.env.BIG ?? 3_000_000));
    const outA = new Sink();
    const outB = new Sink();
    const dir = await tempDir();
    const [ra, rb] = await Promise.all([
      runSession({
        stream: sa,
        keys: ka,
        send: { kind: 'pipe', input: Readable.from([big]), inputIsTty: false },
        output: outA,
        outDir: dir,
        force: false,
      }),
      runSession({
        stream: sb,
        keys: kb,
        send: { kind: 'pipe', input: Readable.from([Buffer.from('hi back')]), inputIsTty: false },
        output: outB,
        outDir: dir,
        force: false,
      }),
    ]);
    expect(outB.data.equals(big)).toBe(true);
    expect(outA.data.toString()).toBe('hi back');
    expect(ra.bytesSent).toBe(big.length);
    expect(rb.bytesReceived).toBe(big.length);
  });

  test('a directory tree with nested files arrives whole, under its own name', async () => {
    const [ka, kb] = keys();
    const [sa, sb] = duplexPair();
    const src = await tempDir();
    const out = await tempDir();
    await mkdir(join(src, 'tree/a/b'), { recursive: true });
    await mkdir(join(src, 'tree/empty'));
    await writeFile(join(src, 'tree/top.txt'), 'top');
    await writeFile(join(src, 'tree/a/b/deep.bin'), randomBytes(200_000));
    await writeFile(join(src, 'single.txt'), '');
    const [, rb] = await Promise.all([
      runSession({
        stream: sa,
        keys: ka,
        send: { kind: 'files', paths: [join(src, 'tree'), join(src, 'single.txt')] },
        output: new Sink(),
        outDir: out,
        force: false,
      }),
      runSession({
        stream: sb,
        keys: kb,
        send: emptyPipe(),
        output: new Sink(),
        outDir: out,
        force: false,
        yes: true,
      }),
    ]);
    expect(rb.filesReceived).toHaveLength(3);
    const sha = async (p: string) =>
      createHash('sha256')
        .update(await readFile(p))
        .digest('hex');
    expect(await sha(join(out, 'tree/a/b/deep.bin'))).toBe(await sha(join(src, 'tree/a/b/deep.bin')));
    expect((await stat(join(out, 'tree/empty'))).isDirectory()).toBe(true);
    expect((await readdir(out)).sort()).toEqual(['single.txt', 'tree']);
  });

  test('an existing file is never overwritten without force; nothing partial is left', async () => {
    const [ka, kb] = keys();
    const [sa, sb] = duplexPair();
    const src = await tempDir();
    const out = await tempDir();
    await writeFile(join(src, 'x.txt'), 'new');
    await writeFile(join(out, 'x.txt'), 'old');
    const results = await Promise.allSettled([
      runSession({
        stream: sa,
        keys: ka,
        send: { kind: 'files', paths: [join(src, 'x.txt')] },
        output: new Sink(),
        outDir: out,
        force: false,
      }),
      runSession({
        stream: sb,
        keys: kb,
        send: emptyPipe(),
        output: new Sink(),
        outDir: out,
        force: false,
        yes: true,
      }),
    ]);
    expect(results[1].status).toBe('rejected');
    expect(String((results[1] as PromiseRejectedResult).reason.message)).toMatch(/already exists.*--force/);
    expect(results[0].status).toBe('rejected');
    expect(((results[0] as PromiseRejectedResult).reason as UserError).exitCode).toBe(4);
    expect(await readFile(join(out, 'x.txt'), 'utf8')).toBe('old');
    expect(await readdir(out)).toEqual(['x.txt']);
  });

  test('a bit flipped in flight fails the transfer with an integrity error and leaves no file', async () => {
    const [ka, kb] = keys();
    let seen = 0;
    const [sa, sb] = duplexPair((c) => {
      seen += c.length;
      if (seen > 50_000) {
        const t = Buffer.from(c);
        t[t.length >> 1]! ^= 0x10;
        return t;
      }
      return c;
    });
    const src = await tempDir();
    const out = await tempDir();
    await writeFile(join(src, 'f.bin'), randomBytes(400_000));
    const results = await Promise.allSettled([
      runSession({
        stream: sa,
        keys: ka,
        send: { kind: 'files', paths: [join(src, 'f.bin')] },
        output: new Sink(),
        outDir: out,
        force: false,
      }),
      runSession({
        stream: sb,
        keys: kb,
        send: emptyPipe(),
        output: new Sink(),
        outDir: out,
        force: false,
        yes: true,
      }),
    ]);
    const err = (results[1] as PromiseRejectedResult).reason as UserError;
    expect(err.message).toMatch(/integrity check failed/);
    expect(err.exitCode).toBe(5);
    expect(await readdir(out)).toEqual([]);
  });

  async function maliciousPeer(records: [number, Uint8Array?][], extra: Partial<SessionOptions> = {}) {
    const [ka, kb] = keys();
    const [sa, sb] = duplexPair();
    const out = await tempDir();
    const sealer = new RecordSealer(ka.sendKey);
    for (const [t, p] of records) sa.write(sealer.seal(t, p));
    // what the session under test sends back
    const opener = new RecordOpener(ka.receiveKey);
    const told: { type: number; payload: Buffer }[] = [];
    sa.on('data', (c: Buffer) => told.push(...opener.push(c)));
    const r = await runSession({
      stream: sb,
      keys: kb,
      send: emptyPipe(),
      output: new Sink(),
      outDir: out,
      force: false,
      yes: true,
      ...extra,
    }).then(
      () => undefined,
      (e: UserError) => e,
    );
    await new Promise((res) => setImmediate(res));
    const abort = told.find((x) => x.type === RecordType.Abort);
    return {
      error: r,
      out,
      abortReason: abort && (JSON.parse(abort.payload.toString()) as { reason: string }).reason,
    };
  }

  test.each([
    ['../escape.txt', /parent directory/],
    ['/etc/passwd', /absolute path/],
    ['C:evil', /drive letter/],
    ['a\\b', /backslash/],
    ['NUL.txt', /device name/],
    ['ok/\u0007bell', /control character/],
  ])('a malicious peer announcing %j is refused, nothing written', async (path, why) => {
    const { error, out } = await maliciousPeer([
      [RecordType.Hello, encodeJson({ version: 1, mode: 'files' })],
      [RecordType.Entry, encodeJson({ path, type: 'file', size: 3 })],
    ]);
    expect(error?.message).toMatch(why);
    expect(error?.exitCode).toBe(1);
    expect(await readdir(out)).toEqual([]);
  });

  test('a size larger than the free space is refused before writing', async () => {
    const { error, out } = await maliciousPeer([
      [RecordType.Hello, encodeJson({ version: 1, mode: 'files' })],
      [RecordType.Entry, encodeJson({ path: 'huge.bin', type: 'file', size: 2 ** 52 })],
      [RecordType.EntriesEnd],
    ]);
    expect(error?.message).toMatch(/not enough free space/);
    expect(await readdir(out)).toEqual([]);
  });

  test('a symbolic link planted in the target directory is not followed', async () => {
    const [ka, kb] = keys();
    const [sa, sb] = duplexPair();
    const out = await tempDir();
    const elsewhere = await tempDir();
    await symlink(elsewhere, join(out, 'sub'));
    const sealer = new RecordSealer(ka.sendKey);
    sa.write(sealer.seal(RecordType.Hello, encodeJson({ version: 1, mode: 'files' })));
    sa.write(sealer.seal(RecordType.Entry, encodeJson({ path: 'sub/x', type: 'file', size: 1 })));
    sa.write(sealer.seal(RecordType.EntriesEnd));
    const e = await runSession({
      stream: sb,
      keys: kb,
      send: emptyPipe(),
      output: new Sink(),
      outDir: out,
      force: false,
      yes: true,
    }).catch((x: UserError) => x);
    expect((e as UserError).message).toMatch(/not a directory/);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  test('a wrong SHA-256 from the peer keeps nothing', async () => {
    const { error, out } = await maliciousPeer([
      [RecordType.Hello, encodeJson({ version: 1, mode: 'files' })],
      [RecordType.Entry, encodeJson({ path: 'f', type: 'file', size: 3 })],
      [RecordType.EntriesEnd],
      [RecordType.FileData, Buffer.from('abc')],
      [RecordType.FileEnd, new Uint8Array(32)],
    ]);
    expect(error?.exitCode).toBe(5);
    expect(await readdir(out)).toEqual([]);
  });

  const hello = (mode: 'pipe' | 'files'): [number, Uint8Array] => [
    RecordType.Hello,
    encodeJson({ version: 1, mode }),
  ];
  const entry = (path: string, size: number, type = 'file'): [number, Uint8Array] => [
    RecordType.Entry,
    encodeJson({ path, type, size }),
  ];
  const fileRecords = (path: string, content: Buffer): [number, Uint8Array?][] => [
    hello('files'),
    entry(path, content.length),
    [RecordType.EntriesEnd],
    [RecordType.FileData, content],
    [RecordType.FileEnd, createHash('sha256').update(content).digest()],
    [RecordType.Eof],
  ];

  /** Runs both ends: `a` sends `aSend`, `b` gets `bOpts`; returns both outcomes and b's out dir. */
  async function twoSides(aSend: SendSpec, bOpts: Partial<SessionOptions>) {
    const [ka, kb] = keys();
    const [sa, sb] = duplexPair();
    const out = await tempDir();
    const outA = await tempDir();
    const [a, b] = await Promise.allSettled([
      runSession({ stream: sa, keys: ka, send: aSend, output: new Sink(), outDir: outA, force: false }),
      runSession({
        stream: sb,
        keys: kb,
        send: emptyPipe(),
        output: new Sink(),
        outDir: out,
        force: false,
        ...bOpts,
      }),
    ]);
    const err = (r: PromiseSettledResult<unknown>) =>
      r.status === 'rejected' ? (r.reason as UserError) : undefined;
    return { a: err(a), b: err(b), out, outA };
  }

  async function sourceFile(name: string, content: string | Buffer) {
    const src = await tempDir();
    await writeFile(join(src, name), content);
    return join(src, name);
  }

  test('a side that sends files refuses files offered to it: exit 5, nothing written, the peer is told', async () => {
    const mine = await sourceFile('mine.txt', 'mine');
    const theirs = await sourceFile('authorized_keys', 'ssh-ed25519 AAAA attacker');
    const r = await twoSides(
      { kind: 'files', paths: [theirs] },
      { send: { kind: 'files', paths: [mine] }, yes: true },
    );
    expect(r.b?.exitCode).toBe(5);
    expect(r.b?.message).toMatch(/sends files \(--send\) receives none/);
    // both sides send here, so both refuse
    expect(r.a?.exitCode).toBe(5);
    expect(await readdir(r.out)).toEqual([]);
    expect(await readdir(r.outA)).toEqual([]);
  });

  test('a malicious peer offering files to a --send side: exit 5, nothing written, the peer is told', async () => {
    const mine = await sourceFile('report.txt', 'report');
    const { error, out, abortReason } = await maliciousPeer(
      fileRecords('authorized_keys', Buffer.from('ssh-ed25519 AAAA attacker')),
      { send: { kind: 'files', paths: [mine] } },
    );
    expect(error?.exitCode).toBe(5);
    expect(abortReason).toMatch(/receives none/);
    expect(await readdir(out)).toEqual([]);
  });

  test('an empty list of files is accepted without asking', async () => {
    const { error, out } = await maliciousPeer([hello('files'), [RecordType.EntriesEnd], [RecordType.Eof]], {
      yes: false,
      idleTimeoutMs: 200,
    });
    // no BYE follows, so the session ends on the idle timeout, not on a refusal
    expect(error?.message).toMatch(/--idle-timeout/);
    expect(await readdir(out)).toEqual([]);
  });

  test('a malicious peer offering files without --yes or a terminal hears "the receiver declined"', async () => {
    const { error, abortReason } = await maliciousPeer(fileRecords('x.txt', Buffer.from('x')), {
      yes: false,
    });
    expect(error?.exitCode).toBe(1);
    expect(abortReason).toBe('the receiver declined');
  });

  test('without --yes and without a terminal the offer is refused: exit 1, told to use --yes, the peer hears "the receiver declined"', async () => {
    const f = await sourceFile('report.txt', 'report');
    const r = await twoSides({ kind: 'files', paths: [f] }, {});
    expect(r.b?.exitCode).toBe(1);
    expect(r.b?.message).toMatch(/no terminal to ask: run with --yes/);
    expect(r.a?.exitCode).toBe(4);
    expect(r.a?.message).toBe('the peer aborted: the receiver declined');
    expect(await readdir(r.out)).toEqual([]);
  });

  test('the person is shown names, count and size and may decline (exit 1) or accept', async () => {
    const src = await tempDir();
    for (let i = 0; i < 12; i++)
      await writeFile(join(src, `f${String(i).padStart(2, '0')}.txt`), 'x'.repeat(100));
    const paths = (await readdir(src)).sort().map((n) => join(src, n));
    const asked: string[][] = [];
    const no = await twoSides(
      { kind: 'files', paths },
      {
        ask: async (lines, q) => {
          asked.push([...lines, q]);
          return false;
        },
      },
    );
    expect(no.b?.exitCode).toBe(1);
    expect(no.b?.message).toMatch(/you declined/);
    expect(no.a?.message).toBe('the peer aborted: the receiver declined');
    expect(await readdir(no.out)).toEqual([]);
    expect(asked[0]![0]).toBe('The peer offers 12 files, 1.2 KB in all:');
    expect(asked[0]).toContain('  f09.txt');
    expect(asked[0]).not.toContain('  f10.txt');
    expect(asked[0]).toContain('  and 2 more');
    expect(asked[0]!.at(-1)).toMatch(/^Accept and write them into .*\?$/);
    const yes = await twoSides({ kind: 'files', paths }, { ask: async () => true });
    expect(yes.a).toBeUndefined();
    expect(yes.b).toBeUndefined();
    expect((await readdir(yes.out)).length).toBe(12);
  });

  test('--yes lists the offer through notice', async () => {
    const f = await sourceFile('a.txt', 'a');
    const shown: string[] = [];
    const r = await twoSides({ kind: 'files', paths: [f] }, { yes: true, notice: (l) => shown.push(l) });
    expect(r.b).toBeUndefined();
    expect(shown).toEqual(['The peer offers 1 file, 1 B in all:', '  a.txt']);
  });

  test.each([
    ['.ssh/authorized_keys', /hidden name/],
    ['.bash_profile', /hidden name/],
    ['ok/.hidden', /hidden name/],
    ['invoice\u202Etxt.exe', /control character/],
    ['a\u2066b', /control character/],
    ['a\u200Fb', /control character/],
    ['a\u061Cb', /control character/],
    ['esc\u001b[2J', /control character/],
    ['c1\u009b', /control character/],
    ['lone\ud800', /control character/],
    [Array.from({ length: 65 }, () => 'd').join('/'), /levels deep/],
  ])('the name %j is refused, nothing written, and shown escaped', async (path, why) => {
    const { error, out } = await maliciousPeer([hello('files'), entry(path, 3)]);
    expect(error?.message).toMatch(why);
    expect(error?.exitCode).toBe(1);
    expect(hasTerminalUnsafe(error?.message ?? '')).toBe(false);
    expect(await readdir(out)).toEqual([]);
  });

  test('--allow-hidden accepts a leading dot', async () => {
    const content = Buffer.from('dot');
    const { error, out } = await maliciousPeer(fileRecords('.config/x', content), {
      allowHidden: true,
      idleTimeoutMs: 200,
    });
    // the records end without BYE, so the session fails; the file itself was accepted and kept
    expect(error?.exitCode).toBe(4);
    expect(await readFile(join(out, '.config/x'), 'utf8')).toBe('dot');
  });

  test('a name announced as both a file and a directory is refused', async () => {
    const { error, out } = await maliciousPeer([hello('files'), entry('a', 1), entry('a/b', 1)]);
    expect(error?.message).toMatch(/as a file and a directory/);
    expect(await readdir(out)).toEqual([]);
  });

  test.each([
    [
      'files from a peer that declared a pipe',
      [hello('pipe'), entry('x', 1)],
      /announced a pipe but sent files/,
    ],
    [
      'pipe data from a peer that declared files',
      [hello('files'), [RecordType.Data, Buffer.from('x')]],
      /announced files but sent pipe data/,
    ],
    ['a record before the greeting', [entry('x', 1)], /before its greeting/],
    ['two greetings', [hello('pipe'), hello('pipe')], /greeted twice/],
    [
      'file data before the list ended',
      [hello('files'), entry('x', 1), [RecordType.FileData, Buffer.from('x')]],
      /before its list/,
    ],
    [
      'data after EOF',
      [hello('pipe'), [RecordType.Eof], [RecordType.Data, Buffer.from('x')]],
      /after its end/,
    ],
    ['BYE before EOF', [hello('pipe'), [RecordType.Bye]], /goodbye before the end/],
    [
      'EOF before the announced files',
      [hello('files'), entry('x', 1), [RecordType.EntriesEnd], [RecordType.Eof]],
      /before sending every file/,
    ],
    [
      'a file longer than announced',
      [hello('files'), entry('x', 1), [RecordType.EntriesEnd], [RecordType.FileData, Buffer.from('xy')]],
      /more data/,
    ],
  ] as [string, [number, Uint8Array?][], RegExp][])(
    '%s: protocol error, exit 5, nothing kept',
    async (_n, records, why) => {
      const { error, out } = await maliciousPeer(records);
      expect(error?.message).toMatch(why);
      expect(error?.exitCode).toBe(5);
      expect(await readdir(out)).toEqual([]);
    },
  );

  test('a transport FIN without the authenticated EOF/BYE is exit 4, never success', async () => {
    const [ka, kb] = keys();
    const [sa, sb] = duplexPair();
    const sealer = new RecordSealer(ka.sendKey);
    const f = await sourceFile('big.bin', randomBytes(300_000));
    // The peer declares a pipe, sends EOF at once, reads a little of our file, then FIN.
    sa.write(sealer.seal(...hello('pipe')));
    sa.write(sealer.seal(RecordType.Eof));
    let read = 0;
    sa.on('data', (c: Buffer) => {
      read += c.length;
      if (read > 64 * 1024) sa.end();
    });
    const e = await runSession({
      stream: sb,
      keys: kb,
      send: { kind: 'files', paths: [f] },
      output: new Sink(),
      outDir: await tempDir(),
      force: false,
    }).catch((x: UserError) => x);
    expect((e as UserError).exitCode).toBe(4);
    expect((e as UserError).message).toMatch(/without confirming that it received everything/);
  });

  test("a FIN in the middle of the peer's data is exit 4 and keeps nothing", async () => {
    const [ka, kb] = keys();
    const [sa, sb] = duplexPair();
    const sealer = new RecordSealer(ka.sendKey);
    const out = await tempDir();
    for (const r of [
      hello('files'),
      entry('d/x', 10),
      [RecordType.EntriesEnd],
      [RecordType.FileData, Buffer.from('abc')],
    ] as [number, Uint8Array?][])
      sa.write(sealer.seal(r[0], r[1]));
    sa.end();
    const e = await runSession({
      stream: sb,
      keys: kb,
      send: emptyPipe(),
      output: new Sink(),
      outDir: out,
      force: false,
      yes: true,
    }).catch((x: UserError) => x);
    expect((e as UserError).exitCode).toBe(4);
    expect((e as UserError).message).toMatch(/before the authenticated end of its data/);
    expect(await readdir(out)).toEqual([]);
  });

  test('a connected but silent peer ends the session after the idle timeout: exit 4, no .part, no new directory', async () => {
    const t0 = Date.now();
    const { error, out } = await maliciousPeer(
      [
        hello('files'),
        entry('d/slow.bin', 1000),
        [RecordType.EntriesEnd],
        [RecordType.FileData, Buffer.alloc(10)],
      ],
      { idleTimeoutMs: 300 },
    );
    expect(error?.exitCode).toBe(4);
    expect(error?.message).toMatch(/sent nothing for 0 s \(--idle-timeout\)/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(await readdir(out)).toEqual([]);
  });

  test('PING keeps two quiet peers alive past the idle timeout', async () => {
    const [ka, kb] = keys();
    const [sa, sb] = duplexPair();
    const dir = await tempDir();
    const inA = new PassThrough();
    const inB = new PassThrough();
    setTimeout(() => {
      inA.end('late a');
      inB.end('late b');
    }, 1000);
    const outA = new Sink();
    const outB = new Sink();
    const common = { output: undefined, outDir: dir, force: false, idleTimeoutMs: 300, keepaliveMs: 60 };
    await Promise.all([
      runSession({
        ...common,
        stream: sa,
        keys: ka,
        send: { kind: 'pipe', input: inA, inputIsTty: false },
        output: outA,
      }),
      runSession({
        ...common,
        stream: sb,
        keys: kb,
        send: { kind: 'pipe', input: inB, inputIsTty: false },
        output: outB,
      }),
    ]);
    expect(outB.data.toString()).toBe('late a');
    expect(outA.data.toString()).toBe('late b');
  });

  test('Ctrl-C while a write is in flight: the loop stops first, then no .part, no file, no new directory is left', async () => {
    const [ka, kb] = keys();
    const [sa, sb] = duplexPair();
    const out = await tempDir();
    const sealer = new RecordSealer(ka.sendKey);
    const content = randomBytes(3 * 65536);
    const records: [number, Uint8Array?][] = [
      hello('files'),
      entry('a/b/f.bin', content.length),
      [RecordType.EntriesEnd],
    ];
    for (let o = 0; o < content.length; o += 65536)
      records.push([RecordType.FileData, content.subarray(o, o + 65536)]);
    records.push([RecordType.FileEnd, createHash('sha256').update(content).digest()], [RecordType.Eof]);
    for (const [t, p] of records) sa.write(sealer.seal(t, p));
    // Every record is already here: without the stop, the loop would go on and link the file.
    const probe = await open(join(out, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    await rm(join(out, 'probe'));
    const ac = new AbortController();
    const realWrite = proto.write;
    let writes = 0;
    const spy = vi.spyOn(proto, 'write').mockImplementation(async function (this: unknown, ...a: unknown[]) {
      writes++;
      if (writes === 1) {
        ac.abort(); // Ctrl-C lands while this write is still in flight
        await new Promise((r) => setTimeout(r, 50));
      }
      return realWrite.apply(this, a);
    });
    try {
      const e = await runSession({
        stream: sb,
        keys: kb,
        send: emptyPipe(),
        output: new Sink(),
        outDir: out,
        force: false,
        yes: true,
        signal: ac.signal,
      }).catch((x: UserError) => x);
      expect((e as UserError).exitCode).toBe(130);
      expect(await readdir(out)).toEqual([]);
      await new Promise((r) => setTimeout(r, 200));
      expect(await readdir(out)).toEqual([]);
      expect(writes).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  test('a failed transfer removes the directories it created, not ones that were there', async () => {
    const out = await tempDir();
    await mkdir(join(out, 'keep'));
    const [ka, kb] = keys();
    const [sa, sb] = duplexPair();
    const sealer = new RecordSealer(ka.sendKey);
    for (const [t, p] of [
      hello('files'),
      entry('keep/new/deep', 0, 'dir'),
      entry('other/f', 3),
      [RecordType.EntriesEnd],
      [RecordType.FileData, Buffer.from('abc')],
      [RecordType.FileEnd, new Uint8Array(32)],
    ] as [number, Uint8Array?][])
      sa.write(sealer.seal(t, p));
    const e = await runSession({
      stream: sb,
      keys: kb,
      send: emptyPipe(),
      output: new Sink(),
      outDir: out,
      force: false,
      yes: true,
    }).catch((x: UserError) => x);
    expect((e as UserError).exitCode).toBe(5);
    expect(await readdir(out)).toEqual(['keep']);
    expect(await readdir(join(out, 'keep'))).toEqual([]);
  });

  test('an ABORT reason reaches the message escaped', async () => {
    const { error } = await maliciousPeer([
      hello('pipe'),
      [RecordType.Abort, encodeJson({ reason: 'bye\u001b[2J\u001b]0;pwned\u0007 \u202Eevil\nline' })],
    ]);
    expect(error?.exitCode).toBe(4);
    expect(error?.message).toBe('the peer aborted: bye\\x1b[2J\\x1b]0;pwned\\x07 \\u202eevil\\x0aline');
  });
});
