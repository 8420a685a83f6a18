// Live fuzzing of real p2pcat processes on loopback (issue 13, item 4): a waiting inviter, a
// waiting joiner and the connected pair in mid-transfer each get 10^5 random and mutated
// datagrams on every candidate address:port of their tokens; afterwards the waiting ones still
// connect and the transfer completes with the right SHA-256. No root, no namespaces.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CONVERSATION } from '../src/endpoint.js';
import { sealInbandAnswer } from '../src/inband-answer.js';
import { generateEphemeralKeyPair } from '../src/keys.js';
import { decodeToken, encodeToken, type Token } from '../src/token.js';
import { removeWorkDirs, workDir } from './harness.js';
import { killAll, LOCAL, p2pcat, tokenIn, until } from './local.js';

afterEach(() => killAll());
afterAll(() => removeWorkDirs());

const PER_TARGET = 100_000;

/** A deterministic generator (xorshift32), so that a failure can be replayed with its seed. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const int = (n: number) => next() % n;
  const bytes = (n: number) => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = next() & 0xff;
    return b;
  };
  return { int, bytes, pick: <T>(a: readonly T[]) => a[int(a.length)] as T };
}

function attr(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const a = Buffer.alloc(4 + value.length + pad);
  a.writeUInt16BE(type, 0);
  a.writeUInt16BE(value.length, 2);
  value.copy(a, 4);
  return a;
}

function stun(type: number, attrs: Buffer[], txid: Buffer): Buffer {
  const body = Buffer.concat(attrs);
  const h = Buffer.alloc(20);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(body.length, 2);
  h.writeUInt32BE(0x2112a442, 4);
  txid.copy(h, 8);
  return Buffer.concat([h, body]);
}

/** A STUN message with a correct MESSAGE-INTEGRITY (RFC 8489 §14.5) and FINGERPRINT (§14.7). */
function signed(type: number, attrs: Buffer[], pwd: string, txid: Buffer): Buffer {
  let m = stun(type, attrs, txid);
  m.writeUInt16BE(m.length - 20 + 24, 2);
  m = Buffer.concat([m, attr(0x0008, createHmac('sha1', pwd).update(m).digest())]);
  m.writeUInt16BE(m.length - 20 + 8, 2);
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE((crc32(m) ^ 0x5354554e) >>> 0);
  return Buffer.concat([m, attr(0x8028, fp)]);
}

type Gen = (r: ReturnType<typeof rng>) => Buffer;

/** Datagram kinds; `validIntegrity`: also STUN requests that pass MESSAGE-INTEGRITY with `pwd`. */
function generators(target: Token, validIntegrity: boolean): Gen[] {
  const attrs = (r: ReturnType<typeof rng>) =>
    [
      attr(
        0x0006,
        Buffer.from(
          `${target.ufrag}:${r.pick(['abcd', '', 'x'.repeat(300), r.bytes(r.int(12)).toString('latin1')])}`,
        ),
      ),
      attr(0x0024, r.bytes(r.pick([4, 4, 0, 9]))), // PRIORITY, sometimes of a wrong length
      attr(r.pick([0x8029, 0x802a]), r.bytes(r.pick([8, 8, 3, 12]))), // ICE-CONTROLLED / -CONTROLLING
      attr(r.int(0x10000), r.bytes(r.int(40))),
    ].filter(() => r.int(10) < 7);
  const gens: Gen[] = [
    (r) => r.bytes(1 + r.int(300)),
    (r) => stun(0x0001, [...attrs(r), attr(0x0008, r.bytes(20)), attr(0x8028, r.bytes(4))], r.bytes(12)),
    (r) => {
      const m = stun(0x0001, [...attrs(r), attr(0x0008, r.bytes(20))], r.bytes(12));
      for (let i = 0; i < 3; i++) m[r.int(m.length)] = r.int(256);
      return m;
    },
    (r) =>
      stun(r.pick([0x0101, 0x0111, 0x0011, 0x0003]), [attr(r.int(0x10000), r.bytes(r.int(40)))], r.bytes(12)),
    (r) => Buffer.concat([Buffer.from('p2pcat-answer1:'), r.bytes(r.int(400))]), // in-band answer, bad tag
    (r) => Buffer.concat([Buffer.from('p2pcat-taken1:'), r.bytes(r.int(40))]), // taken notice, bad tag
    (r) => {
      const b = r.bytes(24 + r.int(200)); // pseudo-TCP segment: our conversation, random seq/flags
      b.writeUInt32BE(CONVERSATION, 0);
      return b;
    },
    (r) => {
      const b = r.bytes(4 + r.int(100)); // ChannelData
      b.writeUInt16BE(0x4000 + r.int(0x4000), 0);
      b.writeUInt16BE(r.int(200), 2);
      return b;
    },
  ];
  if (validIntegrity)
    gens.push((r) =>
      signed(
        0x0001,
        attrs(r)
          .filter((a) => a.readUInt16BE(0) !== 0x0006)
          .concat(attr(0x0006, Buffer.from(`${target.ufrag}:fuzz`))),
        target.pwd,
        r.bytes(12),
      ),
    );
  return gens;
}

/** Sends `count` datagrams to every candidate of `target`, in batches that let the loop breathe. */
async function fuzz(target: Token, count: number, seed: number, validIntegrity: boolean): Promise<number> {
  const r = rng(seed);
  const gens = generators(target, validIntegrity);
  const sockets: Record<string, Socket> = { IPv4: createSocket('udp4'), IPv6: createSocket('udp6') };
  let sent = 0;
  try {
    for (let i = 0; i < count; i++) {
      const d = gens[i % gens.length]!(r);
      for (const c of target.candidates) {
        sockets[c.address.includes(':') ? 'IPv6' : 'IPv4']!.send(d, c.port, c.address);
        sent++;
      }
      if (i % 400 === 399) await new Promise((res) => setTimeout(res, 2));
    }
  } finally {
    for (const s of Object.values(sockets)) s.close();
  }
  return sent;
}

describe('live fuzz: real p2pcat processes survive 10^5 hostile datagrams each', () => {
  it('waiting inviter, waiting joiner, connected pair mid-transfer', async () => {
    const t0 = Date.now();
    const dir = await workDir('fuzz');
    const inviter = p2pcat(
      [
        '--invite',
        ...LOCAL,
        '--invite-to',
        join(dir, 'invite'),
        '--answer-from',
        join(dir, 'answer'),
        '--timeout',
        '30',
      ],
      'pipe',
    );
    const inviteText = await tokenIn(join(dir, 'invite'));
    const invite = decodeToken(inviteText, Date.now(), { allowLoopback: true });
    const sentToInviter = await fuzz(invite, PER_TARGET, 1, true);
    // The datagram that crashed a waiting inviter: an authentic in-band answer (anyone who read the
    // invite can make one) whose token lists a candidate with port 0. Now it is refused when read.
    const crafted = encodeToken({
      kind: 'answer',
      expiresAt: invite.expiresAt,
      ufragBytes: new Uint8Array(3).fill(1),
      pwdBytes: new Uint8Array(15).fill(2),
      publicKey: generateEphemeralKeyPair().publicKey,
      candidates: [{ type: 'host', address: '127.0.0.1', port: 0, priority: 1, foundation: '0' }],
    }).text;
    const udp = createSocket('udp4');
    const v4 = invite.candidates.find((c) => c.address === '127.0.0.1')!;
    // Sent again every 500 ms, as a joiner resends its answer: right after the flood the inviter's
    // socket buffer may still be full, and the kernel drops what does not fit.
    const crafty = sealInbandAnswer(crafted, invite.pwd);
    const resend = setInterval(() => udp.send(crafty, v4.port, v4.address), 500);
    udp.send(crafty, v4.port, v4.address);
    try {
      await until('the refusal', () => /in-band answer refused: .*port 0/.test(inviter.stderr()));
    } finally {
      clearInterval(resend);
    }
    udp.close();
    expect(inviter.child.exitCode, inviter.stderr()).toBeNull();

    const joiner = p2pcat([
      inviteText,
      ...LOCAL,
      '--answer-to',
      join(dir, 'joiner-answer'),
      '--timeout',
      '30',
    ]);
    const answerText = await tokenIn(join(dir, 'joiner-answer'));
    const answer = decodeToken(answerText, Date.now(), { allowLoopback: true });
    const sentToJoiner = await fuzz(answer, PER_TARGET, 2, false);
    expect(joiner.child.exitCode, joiner.stderr()).toBeNull();
    expect(inviter.child.exitCode, inviter.stderr()).toBeNull();

    // Now the answer is "pasted": they connect after all that.
    await writeFile(join(dir, 'answer'), `${answerText}\n`);
    await until('the connection', () => /Connected over/.test(inviter.stderr()), 30_000);
    // Mid-transfer: data flows from the inviter's standard input while both are fuzzed.
    const hash = createHash('sha256');
    let feeding = true;
    const feed = (async () => {
      let i = 0;
      while (feeding || i < 40) {
        const chunk = randomBytes(64 * 1024);
        hash.update(chunk);
        if (!inviter.child.stdin?.write(chunk))
          await new Promise((res) => inviter.child.stdin?.once('drain', res));
        await new Promise((res) => setTimeout(res, 20));
        i++;
      }
      inviter.child.stdin?.end();
    })();
    const [a, b] = await Promise.all([
      fuzz(invite, PER_TARGET, 3, false),
      fuzz(answer, PER_TARGET, 4, false),
    ]);
    feeding = false;
    await feed;
    const [i, j] = await Promise.all([inviter.done, joiner.done]);
    expect(i.code, i.stderr).toBe(0);
    expect(j.code, j.stderr).toBe(0);
    expect(createHash('sha256').update(joiner.stdout()).digest('hex')).toBe(hash.digest('hex'));
    const seconds = (Date.now() - t0) / 1000;
    console.log(
      `live fuzz: ${sentToInviter} datagrams to the waiting inviter, ${sentToJoiner} to the waiting joiner, ${a + b} to the connected pair; ${joiner.stdout().length} bytes transferred intact; ${seconds.toFixed(1)} s`,
    );
  }, 120_000);
});
