import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { deriveSessionKeys, generateEphemeralKeyPair } from './keys.js';
import { IntegrityError, RecordOpener, RecordSealer } from './records.js';

function keys() {
  const a = generateEphemeralKeyPair();
  const b = generateEphemeralKeyPair();
  const invite = randomBytes(80);
  const answer = randomBytes(80);
  return {
    inviter: deriveSessionKeys(a, b.publicKey, 'inviter', invite, answer),
    joiner: deriveSessionKeys(b, a.publicKey, 'joiner', invite, answer),
  };
}

describe('session keys', () => {
  test('both sides derive matching directional keys and the same verification code', () => {
    const { inviter, joiner } = keys();
    expect(inviter.sendKey).toEqual(joiner.receiveKey);
    expect(joiner.sendKey).toEqual(inviter.receiveKey);
    expect(inviter.sendKey).not.toEqual(inviter.receiveKey);
    expect(inviter.verificationCode).toBe(''); // known after the handshake (handshake.test.ts)
    expect(inviter.verificationCode).toBe(joiner.verificationCode);
  });

  test('a different transcript gives different keys', () => {
    const a = generateEphemeralKeyPair();
    const b = generateEphemeralKeyPair();
    const k1 = deriveSessionKeys(a, b.publicKey, 'inviter', Buffer.from('x'), Buffer.from('y'));
    const k2 = deriveSessionKeys(a, b.publicKey, 'inviter', Buffer.from('x'), Buffer.from('z'));
    expect(k1.sendKey).not.toEqual(k2.sendKey);
  });
});

describe('records', () => {
  test('round trip across arbitrary chunking', () => {
    const { inviter, joiner } = keys();
    const sealer = new RecordSealer(inviter.sendKey);
    const opener = new RecordOpener(joiner.receiveKey);
    const payloads = [
      randomBytes(0),
      randomBytes(1),
      randomBytes(70_000).subarray(0, 65_536),
      randomBytes(1000),
    ];
    const wire = Buffer.concat(payloads.map((p, i) => sealer.seal(i + 1, p)));
    const got = [];
    for (let off = 0; off < wire.length; off += 777) got.push(...opener.push(wire.subarray(off, off + 777)));
    expect(got.map((r) => r.type)).toEqual([1, 2, 3, 4]);
    for (const [i, r] of got.entries()) expect(Buffer.compare(r.payload, payloads[i]!)).toBe(0);
    expect(opener.buffered).toBe(0);
  });

  test('round trip whatever the chunk size (split headers, records split over many chunks)', () => {
    const { inviter, joiner } = keys();
    const payloads = [
      randomBytes(65_536),
      randomBytes(0),
      randomBytes(5),
      randomBytes(65_536),
      randomBytes(300),
    ];
    for (const size of [1, 3, 4, 5, 21, 4096, 65_557, 65_558, 200_000]) {
      const sealer = new RecordSealer(inviter.sendKey);
      const opener = new RecordOpener(joiner.receiveKey);
      const wire = Buffer.concat(payloads.map((p) => sealer.seal(7, p)));
      const got = [];
      for (let off = 0; off < wire.length; off += size)
        got.push(...opener.push(wire.subarray(off, off + size)));
      expect(got.length).toBe(payloads.length);
      for (const [i, r] of got.entries()) {
        expect(r.type).toBe(7);
        expect(Buffer.compare(r.payload, payloads[i]!)).toBe(0);
      }
      expect(opener.buffered).toBe(0);
    }
  });

  test('a truncated stream leaves bytes buffered; an impossible length fails at once', () => {
    const { inviter, joiner } = keys();
    const wire = new RecordSealer(inviter.sendKey).seal(1, randomBytes(100));
    const opener = new RecordOpener(joiner.receiveKey);
    expect(opener.push(wire.subarray(0, wire.length - 1))).toEqual([]);
    expect(opener.buffered).toBe(wire.length - 1);
    expect(() => new RecordOpener(joiner.receiveKey).push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(
      IntegrityError,
    );
    const split = new RecordOpener(joiner.receiveKey);
    split.push(Buffer.from([0, 0]));
    expect(() => split.push(Buffer.from([0, 3]))).toThrow(IntegrityError);
  });

  test('one flipped bit anywhere fails with an integrity error', () => {
    const { inviter, joiner } = keys();
    const wire = new RecordSealer(inviter.sendKey).seal(1, randomBytes(100));
    for (const pos of [5, 20, wire.length - 1]) {
      const bad = Buffer.from(wire);
      bad[pos]! ^= 1;
      expect(() => new RecordOpener(joiner.receiveKey).push(bad)).toThrow(IntegrityError);
    }
  });

  test('replayed or reordered records fail', () => {
    const { inviter, joiner } = keys();
    const sealer = new RecordSealer(inviter.sendKey);
    const r1 = sealer.seal(1, Buffer.from('one'));
    const r2 = sealer.seal(1, Buffer.from('two'));
    expect(() => new RecordOpener(joiner.receiveKey).push(Buffer.concat([r2, r1]))).toThrow(IntegrityError);
    const opener = new RecordOpener(joiner.receiveKey);
    opener.push(r1);
    expect(() => opener.push(r1)).toThrow(IntegrityError);
  });

  test('the wrong key fails', () => {
    const { inviter } = keys();
    const wire = new RecordSealer(inviter.sendKey).seal(1, Buffer.from('x'));
    expect(() => new RecordOpener(inviter.sendKey.map((b) => b ^ 1)).push(wire)).toThrow(IntegrityError);
  });
});

describe('record memory reuse', () => {
  test('a released record buffer is reused, and every record still opens', () => {
    const key = new Uint8Array(32).fill(7);
    const sealer = new RecordSealer(key);
    const opener = new RecordOpener(key);
    const a = sealer.seal(1, Buffer.from('first'), true);
    const wireA = Buffer.from(a); // the stream's copy
    sealer.release(a);
    sealer.release(a); // twice: kept once
    const b = sealer.seal(1, Buffer.from('second record'), true);
    expect(b.buffer).toBe(a.buffer);
    const c = sealer.seal(1, Buffer.from('third'), true);
    expect(c.buffer).not.toBe(b.buffer);
    const got = opener.push(Buffer.concat([wireA, b, c])).map((r) => r.payload.toString());
    expect(got).toEqual(['first', 'second record', 'third']);
  });

  test('without reuse, release keeps nothing that a caller still holds', () => {
    const sealer = new RecordSealer(new Uint8Array(32));
    const a = sealer.seal(1, Buffer.alloc(10));
    sealer.release(a); // a pooled slice of Node's allocator: not taken
    const b = sealer.seal(1, Buffer.alloc(10), true);
    expect(b.buffer).not.toBe(a.buffer);
  });
});
