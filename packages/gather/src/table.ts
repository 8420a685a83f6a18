// The table `p2pcat candidates` prints.
import type { Candidate } from './candidate.js';

/** Formats candidates as the aligned text table `p2pcat candidates` prints. */
export function formatCandidateTable(candidates: Candidate[]): string {
  const head = [
    'type',
    'address',
    'port',
    'base',
    'interface',
    'priority',
    'foundation',
    'source',
    'found after',
  ];
  const rows = candidates.map((c) => [
    c.type,
    c.address,
    String(c.port),
    `${c.base.local.address}:${c.base.local.port}`,
    c.interfaceName,
    String(c.priority),
    c.foundation,
    c.source,
    `${c.foundAfterMs} ms`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
