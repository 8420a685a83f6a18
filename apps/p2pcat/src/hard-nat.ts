// p2pcat's side of the hard-NAT extension (issue 17): our NAT's profile from what the STUN servers
// reported while gathering, and the -v lines that say what was tried.
import { type HardNatEvent, type HardNatProfile, profileFromMappedPorts } from '@p2pcat/ice';

interface Reflexive {
  base: { family: string; address: string; port: number };
  mapped: { family: string; port: number };
}

/**
 * The profile of the first IPv4 base that two or more servers answered (p2pcat asks two by default);
 * undefined when fewer answered: then the extension is not announced.
 */
export function hardNatProfileOf(reflexive: readonly Reflexive[]): HardNatProfile | undefined {
  const v4 = reflexive.filter((r) => r.base.family === 'IPv4' && r.mapped.family === 'IPv4');
  const first = v4[0];
  if (!first) return undefined;
  const same = v4.filter((r) => r.base.address === first.base.address && r.base.port === first.base.port);
  return profileFromMappedPorts(same.map((r) => r.mapped.port));
}

/** nat-check's line about port allocation and what it means for direct connections. */
export function describePortAllocation(p: HardNatProfile | undefined): string {
  if (!p) return 'Port allocation: not measured (fewer than two answers from the STUN servers).';
  if (p.mapping === 'open')
    return 'Port allocation: one mapping for all destinations: direct connections work with most NATs on the other side.';
  if (p.mapping === 'sequential')
    return `Port allocation: sequential (step ${p.step}): p2pcat predicts the next ports, so a direct connection works when the other side's NAT keeps one mapping (a home NAT); against another symmetric NAT it rarely does (use --turn).`;
  return "Port allocation: random: p2pcat probes many ports (birthday probing), so a direct connection usually works when the other side's NAT keeps one mapping (a home NAT); against another symmetric NAT it does not (use --turn).";
}

export function describeHardNatEvent(e: HardNatEvent): string {
  switch (e.phase) {
    case 'skipped':
      return `hard NAT: not tried (${e.why})`;
    case 'started':
      return `hard NAT: ${e.strategy} towards ${e.target.address} (${e.why}): up to ${e.planned} datagrams at ${Math.round(e.rate)}/s`;
    case 'sockets-wanted':
      return `hard NAT: opening ${e.count} fresh sockets`;
    default:
      return `hard NAT: ${e.sent} datagrams sent, ${e.connected ? 'a path was found' : 'no path found'}`;
  }
}
