// Hostile and broken input through the real CLI: bad tokens, a record altered in flight, Ctrl-C.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkPrerequisites, createLab, type Lab } from '@p2pcat/natlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeToken } from '../src/token.js';
import {
  CLI,
  dropUnsolicited,
  labArgs,
  removeWorkDirs,
  runPair,
  startPeer,
  waitForFile,
  workDir,
  writeRandomFile,
} from './harness.js';

const pre = checkPrerequisites({
  root: true,
  commands: ['turnserver', 'nft', 'iptables', 'upnpc', 'miniupnpd', 'ss'],
});
const run = promisify(execFile);

/** Runs the CLI on this machine (no network needed: tokens are checked first). */
async function cli(args: string[], timeoutMs = 20_000): Promise<{ code: number; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], { timeout: timeoutMs });
    return { code: 0, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stderr: err.stderr ?? '' };
  }
}

function token(kind: 'invite' | 'answer', expiresAt = Math.floor(Date.now() / 1000) + 600): string {
  return encodeToken({
    kind,
    expiresAt,
    ufragBytes: new Uint8Array(3).fill(1),
    pwdBytes: new Uint8Array(15).fill(2),
    publicKey: new Uint8Array(32).fill(9),
    ...(kind === 'invite' ? { commitment: new Uint8Array(16).fill(3) } : {}),
    candidates: [{ type: 'host', address: '192.0.2.7', port: 4000, priority: 2130706431, foundation: '0' }],
  }).text;
}

const oneLine = (stderr: string) => stderr.trim().split('\n');

describe('broken tokens through the CLI (exit 2, one line)', () => {
  it('a truncated invite', async () => {
    const r = await cli([token('invite').slice(0, -6), '--no-stun', '--no-portmap']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/damaged or incomplete.*copy the whole line/)]);
  });

  it('an invite with one character altered', async () => {
    const t = token('invite');
    const i = 30;
    const altered = t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
    const r = await cli([altered, '--no-stun', '--no-portmap']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/damaged or incomplete/)]);
  });

  it('an expired invite', async () => {
    const r = await cli([token('invite', Math.floor(Date.now() / 1000) - 3600), '--no-stun', '--no-portmap']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/expired 60 minutes ago: ask for a new one/)]);
  });

  it('an answer given where an invite is expected', async () => {
    const r = await cli([token('answer'), '--no-stun', '--no-portmap']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/that is an answer, not an invite/)]);
  });

  it('an invite given back to the inviter as its answer', async () => {
    const dir = await workDir('tok');
    const answer = join(dir, 'answer.txt');
    await writeFile(answer, `${token('invite')}\n`);
    const r = await cli([
      '--invite',
      '--no-stun',
      '--no-portmap',
      '--loopback',
      '-q',
      '--answer-from',
      answer,
    ]);
    await rm(dir, { recursive: true, force: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/p2pcat: that is an invite, not an answer/);
  });

  it('not a token at all', async () => {
    const r = await cli(['hello-world', '--no-stun', '--no-portmap']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/not a p2pcat token/)]);
  });
});

describe.skipIf(pre.skip)('Ctrl-C and a record altered in flight (natlab, miniupnpd, coturn)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await createLab({
      name: 'p2pcat-sigint',
      routers: [{ nat: 'restricted', miniupnpd: true }, { nat: 'restricted' }],
    });
    for (const r of lab.routers) await dropUnsolicited(lab, r.name);
  }, 120_000);
  afterAll(async () => {
    await lab?.down();
    await removeWorkDirs();
  }, 60_000);

  const mappings = async () =>
    (await lab.exec('h1', 'upnpc', ['-i', '-l'], { allowFailure: true, timeoutMs: 15_000 })).stdout
      .split('\n')
      .filter((l) => /^\s*\d+\s+UDP\s/.test(l));
  const relayPortListening = async (port: number) =>
    (await lab.exec('server', 'ss', ['-Huln', `sport = :${port}`])).stdout.trim() !== '';

  it('receiver: exit 130, no file under the final name, mapping and TURN allocation gone; sender: exit 4', async () => {
    const dir = await workDir('sigint');
    const out = join(dir, 'out');
    await mkdir(out);
    writeRandomFile(join(dir, 'big.bin'), 200_000_000, 'sigint');
    const common = labArgs(lab, { turn: true });
    const invitePath = join(dir, 'invite.txt');
    const answerPath = join(dir, 'answer.txt');
    // h1 (behind miniupnpd) receives with port mapping on; h2 sends.
    const receiver = startPeer(lab, {
      host: 'h1',
      args: [
        '--invite',
        '--invite-to',
        invitePath,
        '--answer-from',
        answerPath,
        '--out',
        out,
        '--yes',
        ...common.filter((a) => a !== '--no-portmap'),
      ],
    });
    const invite = await waitForFile(invitePath, 30_000);
    const sender = startPeer(lab, {
      host: 'h2',
      args: [invite, '--answer-to', answerPath, '--send', join(dir, 'big.bin'), ...common],
    });
    // wait until the temporary file has data
    const deadline = Date.now() + 60_000;
    let part: string | undefined;
    while (Date.now() < deadline && !part) {
      part = (await readdir(out)).find((n) => n.endsWith('.part'));
      if (!part) await new Promise((r) => setTimeout(r, 100));
    }
    expect(part, 'a transfer in progress').toBeDefined();
    await new Promise((r) => setTimeout(r, 500));
    const mapsDuring = await mappings();
    receiver.child.kill('SIGINT');
    const [rr, sr] = await Promise.all([receiver.done, sender.done]);
    expect(rr.code, rr.stderr).toBe(130);
    expect(rr.stderr).toMatch(/p2pcat: interrupted/);
    expect(sr.code, sr.stderr).toBe(4);
    expect(sr.stderr).toMatch(/the peer aborted/);
    expect(await readdir(out)).toEqual([]);
    expect(existsSync(join(out, 'big.bin'))).toBe(false);
    // the relayed candidate the receiver had: coturn released its port
    const relay = /local candidate relay [\d.]+:(\d+)/.exec(rr.stderr);
    expect(relay, rr.stderr).not.toBeNull();
    // coturn frees the relay port when the allocation is deleted (a refresh with lifetime 0)
    let listening = true;
    for (let i = 0; i < 30 && listening; i++) {
      listening = await relayPortListening(Number(relay![1]));
      if (listening) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listening, 'coturn still holds the relay port').toBe(false);
    // port mappings: there was one during the transfer, none is left
    expect(mapsDuring.length, 'a UPnP mapping during the transfer').toBeGreaterThan(0);
    expect(await mappings()).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);
  it('a bit flipped in flight: the receiver exits 5 "integrity check failed", keeps no file; the sender exits 4', async () => {
    // r2 flips bit 0 of one byte in every 100th large UDP datagram arriving from the internet,
    // before NAT; the kernel fixes the UDP checksum, so only our record authentication notices.
    for (const cmd of [
      'add table inet p2pcatflip',
      'add chain inet p2pcatflip pre { type filter hook prerouting priority -300 ; }',
      'add rule inet p2pcatflip pre iifname eth0 udp length > 1000 numgen inc mod 100 == 50 counter @th,400,8 set @th,400,8 ^ 1',
    ])
      await lab.exec('r2', 'nft', cmd.split(' '));
    const dir = await workDir('flip');
    const out = join(dir, 'out');
    await mkdir(out);
    writeRandomFile(join(dir, 'in.bin'), 3_000_000, 'flip');
    const r = await runPair(lab, {
      dir,
      common: labArgs(lab),
      inviter: { host: 'h1', args: ['--send', join(dir, 'in.bin')] },
      joiner: { host: 'h2', args: ['--out', out, '--yes'] },
      timeoutMs: 45_000,
    });
    expect(r.joiner.code, r.joiner.stderr).toBe(5);
    expect(r.joiner.stderr).toMatch(/p2pcat: integrity check failed/);
    expect(r.inviter.code, r.inviter.stderr).toBe(4);
    expect(await readdir(out)).toEqual([]);
    const counter = await lab.exec('r2', 'nft', ['list', 'table', 'inet', 'p2pcatflip']);
    expect(counter.stdout).toMatch(/packets [1-9]/);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);
});
