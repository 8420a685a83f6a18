import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { UserError } from './exit-codes.js';
import { HandshakeType, runHandshake } from './handshake.js';
import { commitTo, deriveKeys, generateEphemeralKeyPair, type HandshakeKeys, NONCE_BYTES } from './keys.js';
import { RecordSealer } from './records.js';

/** Two connected in-memory byte streams (what pseudo-TCP gives the handshake). */
function streamPair(): [Duplex, Duplex] {
  let a!: Duplex;
  let b!: Duplex;
  const make = (peer: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        peer().push(chunk);
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
    });
  a = make(() => b);
  b = make(() => a);
  return [a, b];
}

function setup() {
  const i = generateEphemeralKeyPair();
  const j = generateEphemeralKeyPair();
  const invite = randomBytes(100);
  const answer = randomBytes(90);
  return {
    inviter: deriveKeys(i, j.publicKey, 'inviter', invite, answer),
    joiner: deriveKeys(j, i.publicKey, 'joiner', invite, answer),
  };
}

const yes = async () => true;

async function outcome<T>(p: Promise<T>): Promise<T | UserError> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
}

describe('handshake', () => {
  test('both sides get the same 8-digit code; session bytes sent right after READY stay for the session', async () => {
    const { inviter, joiner } = setup();
    const [si, sj] = streamPair();
    const nonce = randomBytes(NONCE_BYTES);
    const hi = runHandshake({ stream: si, role: 'inviter', keys: inviter.handshake, nonce, gate: yes });
    const hj = runHandshake({
      stream: sj,
      role: 'joiner',
      keys: joiner.handshake,
      commitment: commitTo(nonce),
      gate: yes,
    });
    const [ri, rj] = await Promise.all([hi, hj]);
    expect(ri.verificationCode).toMatch(/^\d{4} \d{4}$/);
    expect(rj.verificationCode).toBe(ri.verificationCode);
    // What follows is the session's: read by whoever reads the stream next, nothing lost.
    si.write(Buffer.from('session bytes'));
    const got = await new Promise<string>((resolve) => sj.once('data', (d: Buffer) => resolve(d.toString())));
    expect(got).toBe('session bytes');
  });

  test('bytes that arrive in the same chunk as READY are given back to the stream (unshift)', async () => {
    const { inviter, joiner } = setup();
    const [si, sj] = streamPair();
    const nonce = randomBytes(NONCE_BYTES);
    // The joiner's side is played by hand: NONCE in, then READY and session bytes in one write.
    const hi = runHandshake({ stream: si, role: 'inviter', keys: inviter.handshake, nonce, gate: yes });
    const sealer = new RecordSealer(joiner.handshake.sendKey);
    sj.write(Buffer.concat([sealer.seal(HandshakeType.Ready), Buffer.from('HELLO-RECORD')]));
    await hi;
    const got = await new Promise<string>((resolve) => si.once('data', (d: Buffer) => resolve(d.toString())));
    expect(got).toBe('HELLO-RECORD');
  });

  test("a nonce that does not match the invite's commitment: exit 5 on both sides", async () => {
    const { inviter, joiner } = setup();
    const [si, sj] = streamPair();
    const hi = outcome(
      runHandshake({
        stream: si,
        role: 'inviter',
        keys: inviter.handshake,
        nonce: randomBytes(32),
        gate: yes,
      }),
    );
    const hj = outcome(
      runHandshake({
        stream: sj,
        role: 'joiner',
        keys: joiner.handshake,
        commitment: commitTo(randomBytes(32)),
        gate: yes,
      }),
    );
    const [ri, rj] = await Promise.all([hi, hj]);
    expect(rj).toBeInstanceOf(UserError);
    expect((rj as UserError).exitCode).toBe(5);
    expect((rj as UserError).message).toMatch(/does not match the commitment in its invite/);
    expect((ri as UserError).exitCode).toBe(5);
    expect((ri as UserError).message).toMatch(/does not match the invite it got/);
  });

  test('nothing completes before both gates passed; a "no" stops both sides with exit 5', async () => {
    const { inviter, joiner } = setup();
    const [si, sj] = streamPair();
    const nonce = randomBytes(NONCE_BYTES);
    let answerGate!: (ok: boolean) => void;
    let shown: string | undefined;
    const hi = outcome(
      runHandshake({ stream: si, role: 'inviter', keys: inviter.handshake, nonce, gate: yes }),
    );
    const hj = outcome(
      runHandshake({
        stream: sj,
        role: 'joiner',
        keys: joiner.handshake,
        commitment: commitTo(nonce),
        gate: (code) => {
          shown = code;
          return new Promise<boolean>((r) => {
            answerGate = r;
          });
        },
      }),
    );
    let inviterDone = false;
    void hi.then(() => {
      inviterDone = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(shown).toMatch(/^\d{4} \d{4}$/);
    expect(inviterDone).toBe(false); // the inviter's gate passed, but the joiner's READY is missing
    answerGate(false);
    const [ri, rj] = await Promise.all([hi, hj]);
    expect((rj as UserError).message).toMatch(/^the verification codes differ/);
    expect((ri as UserError).message).toMatch(/^the other side says the verification codes differ/);
    expect((ri as UserError).exitCode).toBe(5);
  });

  test('a tampered handshake record or one from other keys: exit 5', async () => {
    const { inviter } = setup();
    const other = setup().joiner.handshake;
    const [si, sj] = streamPair();
    const hi = outcome(
      runHandshake({
        stream: si,
        role: 'inviter',
        keys: inviter.handshake,
        nonce: randomBytes(32),
        gate: yes,
      }),
    );
    sj.write(new RecordSealer(other.sendKey).seal(HandshakeType.Ready));
    const r = await hi;
    expect((r as UserError).exitCode).toBe(5);
    expect((r as UserError).message).toMatch(/integrity check failed/);
  });

  test('the peer leaving during the handshake: exit 4; an abort with an integrity reason is passed on', async () => {
    const { inviter, joiner } = setup();
    const [si, sj] = streamPair();
    const hi = outcome(
      runHandshake({
        stream: si,
        role: 'inviter',
        keys: inviter.handshake,
        nonce: randomBytes(32),
        gate: () => new Promise(() => {}),
      }),
    );
    sj.end();
    expect(((await hi) as UserError).exitCode).toBe(4);

    const [a, b] = streamPair();
    const stop = new AbortController();
    const nonce = randomBytes(32);
    const ha = outcome(
      runHandshake({ stream: a, role: 'inviter', keys: inviter.handshake, nonce, gate: yes }),
    );
    const hb = outcome(
      runHandshake({
        stream: b,
        role: 'joiner',
        keys: joiner.handshake,
        commitment: commitTo(nonce),
        signal: stop.signal,
        gate: () => new Promise(() => {}),
      }),
    );
    await new Promise((r) => setTimeout(r, 20));
    stop.abort(new UserError('someone else answered this invite first', 5));
    expect(((await hb) as UserError).message).toBe('someone else answered this invite first');
    const ra = (await ha) as UserError;
    expect(ra.exitCode).toBe(5);
    expect(ra.message).toMatch(/someone else answered your invite/);
  });

  test('arbitrary bytes from the peer give a typed error, never a crash or hang', async () => {
    const keys: HandshakeKeys = setup().inviter.handshake;
    for (let i = 0; i < 200; i++) {
      const [si, sj] = streamPair();
      const h = outcome(
        runHandshake({
          stream: si,
          role: 'inviter',
          keys,
          nonce: randomBytes(32),
          gate: () => new Promise(() => {}),
        }),
      );
      const junk = randomBytes(4 + (i % 90));
      if (i % 3 === 0) junk.writeUInt32BE(17 + (i % 40), 0);
      sj.write(junk);
      sj.end();
      const r = await h;
      expect(r).toBeInstanceOf(UserError);
      expect([4, 5]).toContain((r as UserError).exitCode);
    }
  });
});
