import { checkPrerequisites } from '@p2pcat/natlab';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IceConnection } from '../src/index.js';
import { buildNicePeer, NicePeer } from './nice-peer.js';

const pre = checkPrerequisites({ commands: ['gcc', 'pkg-config'], pkgConfig: ['nice'] });

describe.skipIf(pre.skip)('interop with libnice (loopback)', () => {
  beforeAll(() => {
    buildNicePeer();
  });
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  for (const ourRole of ['controlling', 'controlled'] as const) {
    it(`connects with our agent ${ourRole}; data flows both ways after nomination`, async () => {
      const nice = new NicePeer(ourRole === 'controlled');
      const ours = new IceConnection({ role: ourRole, host: { addresses: ['127.0.0.1'] } });
      cleanup.push(
        () => nice.close(),
        () => ours.close(),
      );
      const [theirs, mine] = await Promise.all([nice.description, ours.gather()]);
      nice.setRemote(mine);
      ours.setRemoteDescription(theirs);
      const transport = await ours.connect();
      await nice.waitFor('selected');
      await new Promise<void>((resolve) => {
        if (ours.selectedPair()?.nominated) resolve();
        else ours.once('selected-pair', () => resolve());
      });
      const received: string[] = [];
      transport.onMessage((d) => received.push(new TextDecoder().decode(d)));
      transport.send(new TextEncoder().encode('ping-from-ts'));
      expect(await nice.waitFor('recv ping-from-ts')).toBe('recv ping-from-ts');
      nice.send('hello-from-nice');
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`got ${JSON.stringify(received)}`)), 5000);
        const poll = setInterval(() => {
          if (received.includes('echo:ping-from-ts') && received.includes('hello-from-nice')) {
            clearTimeout(t);
            clearInterval(poll);
            resolve();
          }
        }, 10);
      });
      expect(ours.agent.currentRole).toBe(ourRole);
    });
  }
});
