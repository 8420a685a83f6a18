// Drives a werift-ice Connection on loopback as an interop peer (tests and bench).
import { Candidate, Connection } from 'werift-ice';
import type { IceDescription } from '../src/index.js';

export class WeriftPeer {
  readonly conn: Connection;
  constructor(controlling: boolean) {
    this.conn = new Connection(controlling, {
      useIpv4: true,
      useIpv6: false,
      interfaceAddresses: { udp4: '127.0.0.1' },
      additionalHostAddresses: ['127.0.0.1'],
    });
  }

  async describe(): Promise<IceDescription> {
    await this.conn.gatherCandidates();
    const candidates = this.conn.localCandidates
      .filter((c) => c.host === '127.0.0.1' && c.transport.toLowerCase() === 'udp')
      .map((c) => `candidate:${c.toSdp()}`);
    return {
      ufrag: this.conn.localUsername,
      pwd: this.conn.localPassword,
      candidates,
      endOfCandidates: true,
    };
  }

  async setRemote(d: IceDescription): Promise<void> {
    this.conn.setRemoteParams({ iceLite: d.lite ?? false, usernameFragment: d.ufrag, password: d.pwd });
    for (const line of d.candidates)
      await this.conn.addRemoteCandidate(
        Candidate.fromSdp(line.replace(/^a=/, '').replace(/^candidate:/, '')),
      );
    await this.conn.addRemoteCandidate(undefined);
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}
