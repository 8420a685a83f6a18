import { describe, expect, it } from 'vitest';
import { IceConnection } from '../src/index.js';

describe('IceConnection (Node, UDP on loopback)', () => {
  it('two agents connect and exchange datagrams both ways', async () => {
    const alice = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
    const bob = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
    try {
      const [da, db] = await Promise.all([alice.gather(), bob.gather()]);
      // The descriptions survive JSON (any signalling channel).
      alice.setRemoteDescription(JSON.parse(JSON.stringify(db)));
      bob.setRemoteDescription(JSON.parse(JSON.stringify(da)));
      const [ta, tb] = await Promise.all([alice.connect(), bob.connect()]);
      const gotB = new Promise<Uint8Array>((r) => tb.onMessage(r));
      const gotA = new Promise<Uint8Array>((r) => ta.onMessage(r));
      ta.send(new TextEncoder().encode('hello bob'));
      tb.send(new TextEncoder().encode('hello alice'));
      expect(new TextDecoder().decode(await gotB)).toBe('hello bob');
      expect(new TextDecoder().decode(await gotA)).toBe('hello alice');
      await new Promise((r) => setTimeout(r, 100));
      expect(alice.selectedPair()?.nominated).toBe(true);
      expect(bob.selectedPair()?.nominated).toBe(true);
      expect(alice.agent.currentRole).not.toBe(bob.agent.currentRole);
    } finally {
      alice.close();
      bob.close();
    }
  });

  it('restarts ICE: the peer follows on seeing new credentials, data keeps flowing', async () => {
    const alice = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
    const bob = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
    try {
      const [da, db] = await Promise.all([alice.gather(), bob.gather()]);
      alice.setRemoteDescription(db);
      bob.setRemoteDescription(da);
      const [ta, tb] = await Promise.all([alice.connect(), bob.connect()]);
      const oldUfrag = da.ufrag;
      const reselected = new Promise<void>((r) => alice.once('selected-pair', () => r()));
      bob.once('restart', (d) => alice.setRemoteDescription(d));
      const offer = alice.restart();
      expect(offer.ufrag).not.toBe(oldUfrag);
      ta.send(new Uint8Array([0x80, 1])); // the old pair still carries data
      bob.setRemoteDescription(offer);
      await reselected;
      const got = new Promise<Uint8Array>((r) => tb.onMessage(r));
      ta.send(new Uint8Array([0x80, 2]));
      expect([...(await got)]).toContain(0x80);
      expect(alice.agent.localCredentials.ufrag).toBe(offer.ufrag);
    } finally {
      alice.close();
      bob.close();
    }
  });

  it('fails with a one-line reason when the peer does not exist', async () => {
    const alice = new IceConnection({
      host: { addresses: ['127.0.0.1'] },
      timing: { rtoMin: 20, connectTimeout: 2000 },
    });
    try {
      await alice.gather();
      alice.setRemoteDescription({
        ufrag: 'abcd',
        pwd: 'abcdefghijklmnopqrstuvwx',
        candidates: ['candidate:1 1 udp 2130706431 127.0.0.1 9 typ host'],
        endOfCandidates: true,
      });
      await expect(alice.connect()).rejects.toThrow(/^ICE failed: /);
    } finally {
      alice.close();
    }
  });

  it('IPv4-only here, IPv6-only there: connect() rejects with no-pairs at once on both sides', async () => {
    const alice = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
    const bob = new IceConnection({ host: { addresses: ['::1'] } });
    try {
      const [da, db] = await Promise.all([alice.gather(), bob.gather()]);
      const started = performance.now();
      const both = Promise.allSettled([alice.connect(), bob.connect()]);
      alice.setRemoteDescription(db);
      bob.setRemoteDescription(da);
      const [ra, rb] = await both;
      for (const r of [ra, rb]) {
        expect(r.status).toBe('rejected');
        expect(r.status === 'rejected' && String(r.reason)).toMatch(
          /ICE failed: no candidate pair could be formed/,
        );
        expect(r.status === 'rejected' && r.reason).toMatchObject({ name: 'IceError', code: 'no-pairs' });
      }
      // The default connect timeout is 30 s: this is the end-of-candidates rule, not the timeout.
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(alice.state).toBe('failed');
    } finally {
      alice.close();
      bob.close();
    }
  });

  it('zero pairs while the peer may still trickle: connect() rejects at the connect timeout', async () => {
    const alice = new IceConnection({
      host: { addresses: ['127.0.0.1'] },
      timing: { connectTimeout: 1_000 },
    });
    try {
      await alice.gather();
      const started = performance.now();
      const refused: unknown[] = [];
      alice.on('candidate-refused', (e) => refused.push(e));
      alice.setRemoteDescription({
        ufrag: 'abcd',
        pwd: 'abcdefghijklmnopqrstuvwx',
        candidates: [
          'candidate:1 1 udp 2130706431 ::1 9 typ host',
          'candidate:2 1 udp 2130706431 224.0.0.1 9 typ host',
        ],
      });
      await expect(alice.connect()).rejects.toMatchObject({
        name: 'IceError',
        code: 'timeout',
        message: expect.stringMatching(/ICE failed: no path found before the connect timeout/),
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(refused).toEqual([expect.objectContaining({ type: 'candidate-refused', reason: 'multicast' })]);
    } finally {
      alice.close();
    }
  });
});
