// How a NAT hands out mappings, as far as getting through it matters (issue 17): the agent's
// "hard NAT" extension signals this to the peer, and both sides derive the same plan from the pair.
// Vocabulary of RFC 4787 §4.1 (mapping behaviour); 'sequential' and 'random' split its
// address-and-port-dependent mapping by how the next port is chosen.

/**
 * - open: no NAT, or endpoint-independent mapping: the server-reflexive address is the same towards
 *   every destination (the "easy" side)
 * - sequential: a new mapping per destination, on the previous port + step (`lastPort` is the newest
 *   port seen, from the last STUN server asked)
 * - random: a new mapping per destination on a port nobody can predict
 */
export type HardNatMapping = 'open' | 'sequential' | 'random';

/** How our NAT (or the peer's) maps, as signalled between the two sides of the hard-NAT extension. */
export interface HardNatProfile {
  /** the mapping behaviour: open, sequential or random */
  mapping: HardNatMapping;
  /** sequential: the port increment between two new mappings (1..MAX_STEP) */
  step?: number;
  /** sequential: the newest mapped port observed */
  lastPort?: number;
}

/** Port differences up to this count as a sequential allocator; anything wider looks random. */
export const MAX_STEP = 32;

/**
 * The profile from the mapped ports one local socket got from different servers, in the order asked
 * (the srflx candidates of one base, or RFC 5780 §4.3 tests I-III), in any order. Undefined with
 * fewer than two.
 * Other hosts behind the same NAT may take ports in between, so a delta is only an upper bound of the
 * step: the smallest positive delta is taken.
 */
export function profileFromMappedPorts(ports: readonly number[]): HardNatProfile | undefined {
  if (ports.length < 2) return undefined;
  // Sorted: servers asked at once answer in any order, and a sequential allocator only goes up
  // (two random ports land within MAX_STEP of each other with probability ~0.1 %).
  const sorted = [...ports].sort((a, b) => a - b);
  const deltas = sorted.slice(1).map((p, i) => p - (sorted[i] as number));
  if (deltas.every((d) => d === 0)) return { mapping: 'open' };
  if (deltas.every((d) => d > 0 && d <= MAX_STEP))
    return {
      mapping: 'sequential',
      step: Math.min(...deltas),
      lastPort: sorted[sorted.length - 1] as number,
    };
  return { mapping: 'random' };
}

/** Compact text for a signalling channel: "o", "r", or "s<step>.<lastPort>". */
export function encodeHardNatProfile(p: HardNatProfile): string {
  if (p.mapping === 'sequential') return `s${p.step ?? 1}.${p.lastPort ?? 0}`;
  return p.mapping === 'open' ? 'o' : 'r';
}

/** Reads encodeHardNatProfile's text; undefined when it is not one (the peer's input is untrusted). */
export function decodeHardNatProfile(text: string): HardNatProfile | undefined {
  if (text === 'o') return { mapping: 'open' };
  if (text === 'r') return { mapping: 'random' };
  const m = /^s([0-9]{1,2})\.([0-9]{1,5})$/.exec(text);
  if (!m) return undefined;
  const step = Number(m[1]);
  const lastPort = Number(m[2]);
  if (step < 1 || step > MAX_STEP || lastPort < 1 || lastPort > 65535) return undefined;
  return { mapping: 'sequential', step, lastPort };
}
