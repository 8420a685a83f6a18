import { formatTransportAddress } from '../address.js';
import type { NatBehavior } from './types.js';

/** The human report `nat-check` prints: one "name value" line per finding, notes, then the summary. */
export function formatNatBehavior(b: NatBehavior): string {
  const yesNo = (v: boolean | undefined) => (v === undefined ? 'not measured' : v ? 'yes' : 'no');
  const rows: [string, string][] = [
    ['mapped address', `${formatTransportAddress(b.mapped)} (local ${formatTransportAddress(b.local)})`],
    ['NAT', b.natPresent ? 'yes' : 'no'],
    ['mapping', b.mapping],
    ['filtering', b.filtering],
    ['hairpinning', yesNo(b.hairpinning)],
    ['port preserved', yesNo(b.portPreservation)],
    ...b.notes.map((n): [string, string] => ['note', n]),
  ];
  return `${rows.map(([k, v]) => `${k.padEnd(16)}${v}`).join('\n')}\n\n${b.summary}\n`;
}
