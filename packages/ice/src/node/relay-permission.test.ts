// RFC 8656 §9/§12: the TURN permission (and channel) for a remote candidate is requested when a
// pair with our relayed candidate forms, before any check goes out on it.
import { EventEmitter } from 'node:events';
import type { TransportAddress } from '@p2pcat/stun';
import { afterEach, describe, expect, it } from 'vitest';
import { IceConnection, type RelayAllocation } from './ice-connection.js';

const relayed: TransportAddress = { family: 'IPv4', address: '198.51.100.7', port: 40000 };

/** A TURN allocation that records what was asked of it, in order. */
class FakeRelay extends EventEmitter implements RelayAllocation {
  readonly log: string[] = [];
  readonly relayedAddress = relayed;
  send(_data: Uint8Array, peer: TransportAddress): void {
    this.log.push(`send ${peer.address}:${peer.port}`);
  }
  bindChannel(peer: TransportAddress): Promise<number> {
    this.log.push(`bind ${peer.address}:${peer.port}`);
    return Promise.resolve(0x4000);
  }
}

const open: IceConnection[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function relayOnlyConnection(): { ice: IceConnection; relay: FakeRelay } {
  const ice = new IceConnection({ role: 'controlling', timing: { ta: 5 } });
  open.push(ice);
  const relay = new FakeRelay();
  ice.addRelay(relay);
  ice.endOfLocalCandidates();
  return { ice, relay };
}

const remoteLine = (address: string, port: number) =>
  `candidate:1 1 udp 2130706431 ${address} ${port} typ host`;

describe('TURN permission when a relayed pair forms', () => {
  it('binds a channel (and so a permission) for each remote candidate before the first check on it', async () => {
    const { ice, relay } = relayOnlyConnection();
    ice.setRemoteDescription({
      ufrag: 'remoteufrag',
      pwd: 'remotepasswordremotepassword',
      candidates: [remoteLine('203.0.113.1', 5000)],
      endOfCandidates: false,
    });
    // Synchronously, at pairing: before any timer of the agent ran.
    expect(relay.log[0]).toBe('bind 203.0.113.1:5000');
    ice.addRemoteCandidate(remoteLine('203.0.113.2', 6000));
    expect(relay.log).toContain('bind 203.0.113.2:6000');
    await new Promise((r) => setTimeout(r, 60));
    const firstSend = relay.log.indexOf('send 203.0.113.2:6000');
    expect(firstSend).toBeGreaterThan(relay.log.indexOf('bind 203.0.113.2:6000'));
    // Once per remote address, however many times the pairs are looked at.
    expect(relay.log.filter((l) => l === 'bind 203.0.113.1:5000')).toHaveLength(1);
  });

  it('a refused permission is a warning, not a crash', async () => {
    const ice = new IceConnection({ role: 'controlling' });
    open.push(ice);
    const relay = new FakeRelay();
    relay.bindChannel = () => Promise.reject(new Error('403 Forbidden IP'));
    ice.addRelay(relay);
    const warnings: Error[] = [];
    ice.on('warning', (e: Error) => warnings.push(e));
    ice.setRemoteDescription({
      ufrag: 'remoteufrag',
      pwd: 'remotepasswordremotepassword',
      candidates: [remoteLine('203.0.113.1', 5000)],
      endOfCandidates: true,
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(warnings.map((w) => w.message)).toEqual(['403 Forbidden IP']);
  });
});
