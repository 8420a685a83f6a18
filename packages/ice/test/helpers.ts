import type { TransportAddress } from '@p2pcat/stun';
import { IceAgent, type IceAgentOptions, seededRandom } from '../src/index.js';
import { type SimNat, SimNetwork, type SimNode, type SimOptions } from './sim-network.js';

export interface PeerSpec {
  base: TransportAddress;
  nat?: SimNat;
  /** Also signal the server-reflexive candidate (as if a STUN server had been asked). */
  srflx?: boolean;
  options?: IceAgentOptions;
  /** Do not signal any candidate (the peer must be found as peer-reflexive). */
  silent?: boolean;
}

export function makePair(sim: SimOptions, a: PeerSpec, b: PeerSpec) {
  const net = new SimNetwork(sim);
  const A = new IceAgent({ random: seededRandom(sim.seed * 7 + 1), role: 'controlling', ...a.options });
  const B = new IceAgent({ random: seededRandom(sim.seed * 7 + 2), role: 'controlled', ...b.options });
  const na = net.add('A', A, a.base, a.nat);
  const nb = net.add('B', B, b.base, b.nat);
  return { net, A, B, na, nb };
}

const STUN_SERVER: TransportAddress = { family: 'IPv4', address: '198.51.100.1', port: 3478 };

export function gather(node: SimNode, spec: PeerSpec): void {
  node.agent.addLocalCandidate({ type: 'host', address: spec.base });
  if (spec.srflx && spec.nat) {
    const mapped = spec.nat.reflexive(spec.base, STUN_SERVER);
    node.agent.addLocalCandidate({
      type: 'srflx',
      address: mapped,
      base: spec.base,
      server: STUN_SERVER,
      relatedAddress: spec.base,
    });
  }
}

/** Signals x's credentials and candidates to y. */
export function signal(x: SimNode, y: SimNode, opts: { endOfCandidates?: boolean } = {}): void {
  y.agent.setRemoteCredentials(x.agent.localCredentials, { lite: x.agent.isLite });
  for (const c of x.agent.getLocalCandidates()) {
    if (c.type === 'prflx') continue;
    y.agent.addRemoteCandidate({
      type: c.type,
      address: c.address,
      priority: c.priority,
      foundation: c.foundation,
      component: c.component,
      streamId: c.streamId,
    });
  }
  if (opts.endOfCandidates) y.agent.endOfRemoteCandidates();
}

/** Simulated time of the first event matching `pred`. */
export function firstAt(node: SimNode, pred: (e: SimNode['events'][number]) => boolean): number | undefined {
  const i = node.events.findIndex(pred);
  return i < 0 ? undefined : node.eventTimes[i];
}

export const hasSelected = (n: SimNode) => n.events.some((e) => e.type === 'selected-pair');
export const stateOf = (n: SimNode) => n.agent.connectionState;
