import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex, PassThrough, Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import type { UserError } from './exit-codes.js';
import { deriveSessionKeys, generateEphemeralKeyPair } from './keys.js';
import { encodeJson, RecordType } from './messages.js';
import { RecordSealer } from './records.js';
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
    return { error: r, out };
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
});
