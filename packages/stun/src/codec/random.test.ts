import { describe, expect, test } from 'vitest';
import { bytesToHex, hexToBytes } from './bytes.js';
import { randomBytes, randomTransactionId } from './random.js';

describe('randomBytes', () => {
  test('fresh arrays of the asked length, never the same bytes twice from the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = randomTransactionId();
      expect(id).toHaveLength(12);
      seen.add(bytesToHex(id));
    }
    expect(seen.size).toBe(2000);
    const a = randomBytes(16);
    a.fill(0);
    expect(randomBytes(16).some((x) => x !== 0)).toBe(true);
  });

  test('large requests (above one getRandomValues call) are filled whole', () => {
    const big = randomBytes(200_000);
    expect(big).toHaveLength(200_000);
    expect(big.subarray(150_000).some((x) => x !== 0)).toBe(true);
    expect(randomBytes(0)).toHaveLength(0);
  });
});

test('bytesToHex and hexToBytes are inverse', () => {
  expect(bytesToHex(new Uint8Array([0, 15, 16, 255]))).toBe('000f10ff');
  expect(hexToBytes('00 0F10ff')).toEqual(new Uint8Array([0, 15, 16, 255]));
  expect(() => hexToBytes('abc')).toThrow(RangeError);
});
