// Real p2pcat processes across natlab NATs: pipes, files and directories arrive byte for byte.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPrerequisites, createLab, type Lab } from '@p2pcat/natlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  dropUnsolicited,
  labArgs,
  removeWorkDirs,
  runPair,
  sha256File,
  workDir,
  writeRandomFile,
} from './harness.js';

const pre = checkPrerequisites({ root: true, commands: ['turnserver', 'nft', 'iptables'] });
const MB = 1_000_000;

describe.skipIf(pre.skip)('p2pcat across NATs (natlab)', () => {
  let lab: Lab;
  let dir: string;
  const inputs = new Map<number, { path: string; sha: string }>();

  async function input(bytes: number) {
    let f = inputs.get(bytes);
    if (!f) {
      const path = join(dir, `input-${bytes}.bin`);
      writeRandomFile(path, bytes, `p2pcat-${bytes}`);
      f = { path, sha: await sha256File(path) };
      inputs.set(bytes, f);
    }
    return f;
  }

  beforeAll(async () => {
    // h1, h2: public (none); h3, h4: restricted; h5, h6: symmetric; h7: full cone
    lab = await createLab({
      name: 'p2pcat',
      routers: [
        { nat: 'none' },
        { nat: 'none' },
        { nat: 'restricted' },
        { nat: 'restricted' },
        { nat: 'symmetric' },
        { nat: 'symmetric' },
        { nat: 'full-cone' },
      ],
    });
    // Like a home router, drop unsolicited packets addressed to the router itself. natlab's routers
    // accept them in INPUT, so conntrack confirms an entry for the peer's first check, the host's
    // own check later clashes with it and MASQUERADE picks a new port: hole punching between two
    // port-restricted NATs would then never succeed (an artefact of the lab, not of real NATs).
    for (const r of lab.routers) await dropUnsolicited(lab, r.name);
    dir = await workDir('transfer');
  }, 120_000);

  afterAll(async () => {
    await lab?.down();
    await removeWorkDirs();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  // 50 MB each way: pipe from inviter to joiner, files from joiner to inviter (the matrix).
  const combos = [
    { name: 'none/none', a: 'h1', b: 'h2', turn: false, size: 50 * MB, path: 'direct' },
    { name: 'restricted/restricted', a: 'h3', b: 'h4', turn: false, size: 50 * MB, path: 'direct' },
    {
      name: 'restricted/symmetric via coturn',
      a: 'h3',
      b: 'h5',
      turn: true,
      size: 50 * MB,
      path: '(direct|relayed)',
    },
    { name: 'symmetric/symmetric via coturn', a: 'h5', b: 'h6', turn: true, size: 50 * MB, path: 'relayed' },
    {
      name: 'symmetric/symmetric via coturn over TCP',
      a: 'h5',
      b: 'h6',
      turn: 'tcp',
      size: 5 * MB,
      path: 'relayed',
    },
    {
      name: 'symmetric/symmetric via coturn over TLS (turns:)',
      a: 'h5',
      b: 'h6',
      turn: 'tls',
      size: 5 * MB,
      path: 'relayed',
    },
  ] as const;

  for (const c of combos) {
    it(`pipe ${c.size / MB} MB ${c.name}: cat file | p2pcat --invite, p2pcat INVITE > file, both exit 0`, async () => {
      const src = await input(c.size);
      const sub = await workDir('pipe');
      const out = join(sub, 'got.bin');
      const r = await runPair(lab, {
        dir: sub,
        common: labArgs(lab, { turn: c.turn }),
        inviter: { host: c.a, args: [], stdin: src.path },
        joiner: { host: c.b, args: [], stdout: out },
      });
      expect(r.inviter.code, r.inviter.stderr).toBe(0);
      expect(r.joiner.code, r.joiner.stderr).toBe(0);
      expect(await sha256File(out)).toBe(src.sha);
      expect(r.joiner.stderr).toMatch(new RegExp(`over a ${c.path}`));
      expect(r.invite.length).toBeLessThanOrEqual(250);
      if (c.turn) {
        // a normal exit deletes the TURN allocations too: coturn frees both relay ports
        const ports = [r.inviter.stderr, r.joiner.stderr].map((e) =>
          Number(/local candidate relay [\d.]+:(\d+)/.exec(e)?.[1]),
        );
        for (const port of ports) {
          expect(port).toBeGreaterThan(0);
          let listening = true;
          for (let i = 0; i < 30 && listening; i++) {
            listening = (await lab.exec('server', 'ss', ['-Huln', `sport = :${port}`])).stdout.trim() !== '';
            if (listening) await new Promise((res) => setTimeout(res, 100));
          }
          expect(listening, `coturn still holds relay port ${port}`).toBe(false);
        }
      }
      await rm(sub, { recursive: true, force: true });
    }, 120_000);

    it(`file ${c.size / MB} MB ${c.name}: joiner --send, inviter receives, sha256 equal`, async () => {
      const src = await input(c.size);
      const sub = await workDir('file');
      const outDir = join(sub, 'out');
      await mkdir(outDir);
      const r = await runPair(lab, {
        dir: sub,
        common: labArgs(lab, { turn: c.turn }),
        inviter: { host: c.a, args: ['--out', outDir, '--yes'] },
        joiner: { host: c.b, args: ['--send', src.path] },
      });
      expect(r.inviter.code, r.inviter.stderr).toBe(0);
      expect(r.joiner.code, r.joiner.stderr).toBe(0);
      const got = join(outDir, `input-${c.size}.bin`);
      expect(await sha256File(got)).toBe(src.sha);
      expect(await readdir(outDir)).toEqual([`input-${c.size}.bin`]); // no temporary left
      await rm(sub, { recursive: true, force: true });
    }, 120_000);
  }

  it('directory tree with nested files and an empty directory (restricted/restricted)', async () => {
    const sub = await workDir('tree');
    const tree = join(sub, 'tree');
    const files: Record<string, number> = {
      'a.txt': 10,
      'empty.bin': 0,
      'sub/b.bin': 300_000,
      'sub/deeper/c.bin': 70_000,
      'sub/deeper/d e f.txt': 1,
      'other/x.bin': 1_500_000,
    };
    for (const [p, n] of Object.entries(files)) {
      await mkdir(join(tree, p, '..'), { recursive: true });
      writeRandomFile(join(tree, p), n, p);
    }
    await mkdir(join(tree, 'emptydir'));
    const outDir = join(sub, 'out');
    await mkdir(outDir);
    const r = await runPair(lab, {
      dir: sub,
      common: labArgs(lab),
      inviter: { host: 'h3', args: ['--send', tree] },
      joiner: { host: 'h4', args: ['--out', outDir, '--yes'] },
    });
    expect(r.inviter.code, r.inviter.stderr).toBe(0);
    expect(r.joiner.code, r.joiner.stderr).toBe(0);
    for (const p of Object.keys(files)) {
      expect(await sha256File(join(outDir, 'tree', p)), p).toBe(await sha256File(join(tree, p)));
    }
    expect((await stat(join(outDir, 'tree', 'emptydir'))).isDirectory()).toBe(true);
    await rm(sub, { recursive: true, force: true });
  }, 120_000);

  it('one-way fast path: inviter behind a full-cone NAT connects with the answer never pasted', async () => {
    const src = await input(1 * MB);
    const sub = await workDir('inband');
    const out = join(sub, 'got.bin');
    const r = await runPair(lab, {
      dir: sub,
      common: labArgs(lab),
      // no terminal on the inviting side: an in-band answer is taken only with --yes (issue 13)
      inviter: { host: 'h7', args: ['--yes'], stdin: src.path },
      joiner: { host: 'h5', args: [], stdout: out }, // symmetric: only its own checks open its NAT
      answer: 'in-band-only',
      timeoutMs: 60_000,
    });
    expect(r.inviter.code, r.inviter.stderr).toBe(0);
    expect(r.joiner.code, r.joiner.stderr).toBe(0);
    expect(r.inviter.stderr).toMatch(/answer arrived directly from the other side/);
    expect(await sha256File(out)).toBe(src.sha);
  }, 90_000);

  it('an answer pasted 45 s late (after a whole STUN retransmission budget) still connects two restricted NATs', async () => {
    const src = await input(1 * MB);
    const sub = await workDir('late');
    const out = join(sub, 'got.bin');
    const r = await runPair(lab, {
      dir: sub,
      common: labArgs(lab),
      inviter: { host: 'h3', args: [], stdin: src.path },
      joiner: { host: 'h4', args: [], stdout: out },
      answer: { delayMs: 45_000 },
      timeoutMs: 110_000,
    });
    expect(r.inviter.code, r.inviter.stderr).toBe(0);
    expect(r.joiner.code, r.joiner.stderr).toBe(0);
    expect(r.inviter.stderr).not.toMatch(/answer arrived directly/); // restricted: no way in before the paste
    expect(await sha256File(out)).toBe(src.sha);
  }, 130_000);

  it('a turns: server whose certificate cannot be verified is refused with a hint, unless --turn-insecure', async () => {
    const c = lab.coturn!;
    const [user, pass] = Object.entries(c.users)[0]!;
    const url = `turns:${user}:${pass}@${c.addresses[0]}:${c.tlsPort}`;
    const common = ['candidates', '--stun', `${c.addresses[0]}:${c.port}`, '--turn', url, '--no-portmap'];
    const strict = await lab.exec('h5', process.execPath, [CLI, ...common]);
    expect(strict.stdout).not.toMatch(/relay/);
    expect(strict.stderr).toMatch(/certificate/i);
    const insecure = await lab.exec('h5', process.execPath, [CLI, ...common, '--turn-insecure']);
    expect(insecure.stdout).toMatch(/relay/);
  }, 60_000);
});
