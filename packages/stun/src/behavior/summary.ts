import type { FilteringBehavior, MappingBehavior, NatBehavior } from './types.js';

const MAPPING_WORDS: Record<MappingBehavior, string> = {
  'no-nat': 'no NAT',
  'endpoint-independent': 'endpoint-independent mapping',
  'address-dependent': 'address-dependent mapping',
  'address-and-port-dependent': 'address-and-port-dependent mapping',
  unknown: 'unknown mapping',
};

const FILTERING_WORDS: Record<FilteringBehavior, string> = {
  'endpoint-independent': 'no filtering (endpoint-independent)',
  'address-dependent': 'address-restricted filtering',
  'address-and-port-dependent': 'port-restricted filtering',
  unknown: 'unknown filtering',
};

/** One or two sentences in plain words: what the NAT is and what it means for direct connections. */
export function describeNatBehavior(b: Omit<NatBehavior, 'summary'>): string {
  const what = `${MAPPING_WORDS[b.mapping]}, ${FILTERING_WORDS[b.filtering]}`;
  let verdict: string;
  if (b.mapping === 'no-nat') {
    verdict =
      b.filtering === 'endpoint-independent'
        ? 'your address is public and open: peers can reach you directly'
        : b.filtering === 'unknown'
          ? 'your address is public; a firewall may still filter incoming packets'
          : 'your address is public behind a filtering firewall: hole punching works with most peers';
  } else if (b.mapping === 'endpoint-independent') {
    verdict =
      b.filtering === 'endpoint-independent'
        ? 'a "full cone" NAT: hole punching works with nearly every peer'
        : 'hole punching works with most peers';
  } else if (b.mapping === 'unknown') {
    verdict = 'behind a NAT whose mapping could not be measured: hole punching may or may not work';
  } else {
    verdict =
      'a "symmetric" NAT: hole punching works only with peers whose NAT maps endpoint-independently; between two such NATs a TURN relay is needed';
  }
  const extras: string[] = [];
  if (b.natPresent) {
    if (b.hairpinning === true)
      extras.push('hairpinning works (peers behind the same NAT can use the public address)');
    if (b.hairpinning === false)
      extras.push('no hairpinning (peers behind the same NAT must use local addresses)');
    extras.push(b.portPreservation ? 'the local port is preserved' : 'the local port is not preserved');
  }
  return `${what}: ${verdict}.${extras.length > 0 ? ` ${capitalize(extras.join('; '))}.` : ''}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
