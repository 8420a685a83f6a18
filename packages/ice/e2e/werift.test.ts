import { describe, expect, it } from 'vitest';
import { IceConnection } from '../src/index.js';
import { WeriftPeer } from './werift-peer.js';

describe('interop with werift-ice (loopback)', () => {
  for (const ourRole of ['controlling', 'controlled'] as const) {
    it(`connects with our agent ${ourRole}; data flows both ways`, async () => {
      const peer = new WeriftPeer(ourRole === 'controlled');
      const ours = new IceConnection({ role: ourRole, host: { addresses: ['127.0.0.1'] } });
      try {
        const [theirs, mine] = await Promise.all([peer.describe(), ours.gather()]);
        await peer.setRemote(mine);
        ours.setRemoteDescription(theirs);
        const [transport] = await Promise.all([ours.connect(), peer.conn.connect()]);
        const fromPeer = new Promise<string>((r) =>
          transport.onMessage((d) => r(new TextDecoder().decode(d))),
        );
        const toPeer = new Promise<string>((r) => peer.conn.onData.subscribe((d) => r(d.toString())));
        transport.send(new TextEncoder().encode('ping-from-ts'));
        await peer.conn.send(Buffer.from('hello-from-werift'));
        expect(await toPeer).toBe('ping-from-ts');
        expect(await fromPeer).toBe('hello-from-werift');
        await new Promise<void>((resolve) => {
          if (ours.selectedPair()?.nominated) resolve();
          else ours.once('selected-pair', () => resolve());
        });
        expect(ours.selectedPair()?.nominated).toBe(true);
      } finally {
        ours.close();
        await peer.close();
      }
    });
  }
});
