// connect() takes an AbortSignal (an abort rejects with an AbortError and leaves the connection
// open) and rejects with an IceError whose code says why it failed.
import { describe, expect, it } from 'vitest';
import { IceError } from '../errors.js';
import { IceConnection } from './ice-connection.js';

const peer = {
  ufrag: 'abcd',
  pwd: 'abcdefghijklmnopqrstuvwx',
  // Only an IPv6 candidate: no pair with our IPv4 loopback base.
  candidates: ['candidate:1 1 udp 2130706431 ::1 9 typ host'],
};

describe('IceConnection.connect', () => {
  it('an abort rejects with an AbortError keeping the reason, and the connection stays usable', async () => {
    const ice = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
    try {
      await ice.gather();
      ice.setRemoteDescription(peer);
      const controller = new AbortController();
      const reason = new Error('user gave up');
      const pending = ice.connect({ signal: controller.signal });
      controller.abort(reason);
      const error = await pending.catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'AbortError', cause: reason });
      expect(ice.state).not.toBe('closed');
      expect(ice.listenerCount('state')).toBe(0);
    } finally {
      ice.close();
    }
  });

  it('an already aborted signal rejects at once with its AbortError reason', async () => {
    const ice = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
    try {
      const reason = new DOMException('stop', 'AbortError');
      await expect(ice.connect({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    } finally {
      ice.close();
    }
  });

  it('close() before connecting rejects with IceError code closed, also for a later connect()', async () => {
    const ice = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
    await ice.gather();
    const pending = ice.connect();
    ice.close();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IceError);
    expect(error).toMatchObject({ name: 'IceError', code: 'closed' });
    await expect(ice.connect()).rejects.toMatchObject({ code: 'closed' });
  });

  it('no pair with both candidate lists complete: code no-pairs, also for a later connect()', async () => {
    const ice = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
    try {
      await ice.gather();
      const pending = ice.connect();
      ice.setRemoteDescription({ ...peer, endOfCandidates: true });
      await expect(pending).rejects.toMatchObject({ name: 'IceError', code: 'no-pairs' });
      await expect(ice.connect()).rejects.toMatchObject({ code: 'no-pairs' });
    } finally {
      ice.close();
    }
  });

  it('send() with no pair throws IceError no-usable-pair', () => {
    const ice = new IceConnection();
    try {
      expect(() => ice.send(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'no-usable-pair' }));
    } finally {
      ice.close();
    }
  });
});
