// Fresh UDP sockets for the hard-NAT extension's birthday probing (core/hard-nat): each gets a new
// mapping on a NAT that allocates at random. Bound on the base's address, any port; those that
// cannot be bound (descriptor limit) are simply fewer.
import { type BaseSocket, bindBase } from './host-candidates.js';

export async function openProbeSockets(address: string, count: number): Promise<BaseSocket[]> {
  const out = await Promise.allSettled(Array.from({ length: count }, () => bindBase(address, 0)));
  return out.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}
