import { createPseudoTcpStream } from '@p2pcat/pseudotcp';
import { describe, expect, it } from 'vitest';
import { IceConnection } from '../src/index.js';

describe('pseudo-TCP over the ICE transport (loopback)', () => {
  it('carries a 1 MB stream over the selected pair', { timeout: 30_000 }, async () => {
    const alice = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
    const bob = new IceConnection({ host: { addresses: ['127.0.0.1'] } });
    try {
      const [da, db] = await Promise.all([alice.gather(), bob.gather()]);
      alice.setRemoteDescription(db);
      bob.setRemoteDescription(da);
      const [ta, tb] = await Promise.all([alice.connect(), bob.connect()]);
      const sa = createPseudoTcpStream(ta);
      const sb = createPseudoTcpStream(tb);
      const payload = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
      const received: Buffer[] = [];
      const done = new Promise<void>((resolve, reject) => {
        sb.on('data', (c: Buffer) => received.push(c));
        sb.on('end', () => resolve());
        sb.on('error', reject);
      });
      sa.end(payload);
      await done;
      expect(Buffer.concat(received).equals(Buffer.from(payload))).toBe(true);
      sa.destroy();
      sb.destroy();
    } finally {
      alice.close();
      bob.close();
    }
  });
});
