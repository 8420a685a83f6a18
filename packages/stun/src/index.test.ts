import { expect, test } from 'vitest';
import * as stun from './index.js';

test('the package entry exports every codec name of API.md', () => {
  for (const name of [
    'MAGIC_COOKIE',
    'StunMethod',
    'StunDecodeError',
    'AttributeType',
    'decodeStunMessage',
    'isStunMessage',
    'StunMessageBuilder',
    'shortTermKey',
    'longTermKey',
    'userhash',
    'verifyMessageIntegrity',
    'verifyFingerprint',
    'randomTransactionId',
    'encodeChannelData',
    'decodeChannelData',
    'demultiplex',
  ]) {
    expect(stun, name).toHaveProperty(name);
  }
  expect(stun.MAGIC_COOKIE).toBe(0x2112a442);
  expect(stun.StunMethod).toEqual({
    Binding: 0x001,
    Allocate: 0x003,
    Refresh: 0x004,
    Send: 0x006,
    Data: 0x007,
    CreatePermission: 0x008,
    ChannelBind: 0x009,
  });
  expect(stun.AttributeType.MESSAGE_INTEGRITY).toBe(0x0008);
  expect(stun.AttributeType.MESSAGE_INTEGRITY_SHA256).toBe(0x001c);
  expect(stun.AttributeType.FINGERPRINT).toBe(0x8028);
});
