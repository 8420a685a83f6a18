// Which probing, if any, can get two NATs talking that ordinary checks could not (issue 17). Both
// sides compute the plan from the same two profiles, so they agree without another message.
import type { HardNatProfile } from './profile.js';

/**
 * What this side does:
 * - open-predicted: send to the predicted next ports of the peer's (sequential) public address, from
 *   our one base, opening our filter there; the peer keeps sending to our stable address
 * - open-random: send to many random ports of the peer's public address from our one base (birthday
 *   probing against the peer's fresh mappings)
 * - keep-sending: our mapping towards the peer's stable address already exists (made by the ordinary
 *   check): keep sending checks on it until the peer's probes open its filter for it
 * - fresh-mappings: send from many fresh local sockets to the peer's stable address (random allocator:
 *   each gets a port the peer's random probes may have opened)
 */
export type HardNatStrategy = 'open-predicted' | 'open-random' | 'keep-sending' | 'fresh-mappings';

export type HardNatPlan = { strategy: HardNatStrategy; why: string } | { strategy: 'none'; why: string };

export function planHardNat(local: HardNatProfile, remote: HardNatProfile): HardNatPlan {
  const l = local.mapping;
  const r = remote.mapping;
  if (l === 'open' && r === 'open')
    return { strategy: 'none', why: 'both NATs keep one mapping per socket: ordinary checks suffice' };
  if (l === 'open' && r === 'sequential')
    return { strategy: 'open-predicted', why: 'peer allocates sequentially: probing its next ports' };
  if (l === 'open' && r === 'random')
    return { strategy: 'open-random', why: 'peer allocates at random: birthday probing of its ports' };
  if (l === 'sequential' && r === 'open')
    return { strategy: 'keep-sending', why: 'we allocate sequentially: the peer probes our next ports' };
  if (l === 'random' && r === 'open')
    return { strategy: 'fresh-mappings', why: 'we allocate at random: many fresh mappings to the peer' };
  if (l === 'sequential' && r === 'sequential')
    // Each of our probes takes a new port on our own NAT, so both predictions must meet: a long shot.
    return { strategy: 'open-predicted', why: 'both allocate sequentially: both probe predicted ports' };
  return { strategy: 'none', why: 'a random allocator facing a symmetric NAT: probing cannot help' };
}
