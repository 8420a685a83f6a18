// Pages of files that node touched once and p2pcat no longer needs (issue 18).
//
// Most of an idle node process's resident set is not memory it allocated but pages of its own
// executable (about 35 of 42 MiB here): the code and read-only data that starting node, loading
// the CLI and gathering candidates went through once (bootstrap, the startup snapshot, the
// JavaScript sources of node's own modules, the dynamic symbol table). They stay mapped, and
// counted in RSS, until the kernel needs the memory. A transfer's hot loop uses a fraction of them.
//
// So the CLI hands back, once at start and once when the session begins, every private read-only
// file mapping that holds no private copy of a page: madvise(MADV_DONTNEED) (native/file-pages.c)
// then only unmaps pages that are still the file's, exactly what the kernel's reclaim would do, and
// the pages that are used again come back from the page cache with a minor fault. A mapping with a
// private copy of any page (relocated data, a debugger's breakpoint, a page swapped out) is left
// whole: dropping it would lose that copy. Memory p2pcat allocates (the JS heap, buffers, malloc)
// is not touched. Without the addon (another system, no compiler at build time,
// P2PCAT_NO_NATIVE=1) nothing is released; only RSS differs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** A mapping whose pages may be handed back. */
export interface CleanFileMapping {
  start: bigint;
  /** One past the last byte. */
  end: bigint;
  path: string;
  /** Resident bytes of it when smaps was read. */
  residentBytes: number;
}

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ (\d+)\s*(.*)$/;
const FIELD = /^(\w+):\s+(\d+) kB$/;
/** Every one of these must be present and zero: a page of the mapping that is not the file's. */
const MUST_BE_ZERO = ['Anonymous', 'Swap', 'Private_Dirty', 'Shared_Dirty', 'Locked'] as const;

interface Parsed {
  start: bigint;
  end: bigint;
  perms: string;
  inode: string;
  path: string;
  kB: Map<string, number>;
  flags: string[];
}

/**
 * The mappings of a `/proc/<pid>/smaps` text whose pages can be dropped without losing anything:
 * private (`p`), not writable, backed by a file that still exists, with no anonymous, swapped,
 * dirty or locked page, and something resident.
 */
export function cleanFileMappings(smaps: string): CleanFileMapping[] {
  const out: CleanFileMapping[] = [];
  let cur: Parsed | undefined;
  const finish = () => {
    if (cur !== undefined && isClean(cur)) {
      out.push({
        start: cur.start,
        end: cur.end,
        path: cur.path,
        residentBytes: (cur.kB.get('Rss') ?? 0) * 1024,
      });
    }
  };
  for (const line of smaps.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      finish();
      cur = {
        start: BigInt(`0x${header[1]}`),
        end: BigInt(`0x${header[2]}`),
        perms: header[3] as string,
        inode: header[4] as string,
        path: header[5] as string,
        kB: new Map(),
        flags: [],
      };
      continue;
    }
    if (cur === undefined) continue;
    if (line.startsWith('VmFlags:')) {
      cur.flags = line.slice('VmFlags:'.length).trim().split(/\s+/);
      continue;
    }
    const field = FIELD.exec(line);
    if (field) cur.kB.set(field[1] as string, Number(field[2]));
  }
  finish();
  return out;
}

function isClean(m: Parsed): boolean {
  if (m.perms[0] !== 'r' || m.perms[1] !== '-' || m.perms[3] !== 'p') return false;
  if (m.inode === '0' || !m.path.startsWith('/') || m.path.endsWith(' (deleted)')) return false;
  if (m.end <= m.start) return false;
  for (const name of MUST_BE_ZERO) if (m.kB.get(name) !== 0) return false;
  // VmFlags: lo = locked, io = I/O memory, pf = raw page frames: never a plain file's pages
  if (m.flags.some((f) => f === 'lo' || f === 'io' || f === 'pf')) return false;
  return (m.kB.get('Rss') ?? 0) > 0;
}

interface FilePagesAddon {
  dropPages(start: bigint, length: bigint): number;
}

let addon: FilePagesAddon | null | undefined;

function loadAddon(): FilePagesAddon | null {
  if (process.env.P2PCAT_NO_NATIVE === '1' || process.platform !== 'linux') return null;
  const require = createRequire(import.meta.url);
  const file = `native/${process.platform}-${process.arch}/file-pages.node`;
  // dist/file-pages.js or dist/p2pcat.bundle.js (built), or src/file-pages.ts (tests of sources)
  for (const candidate of [`./${file}`, `../dist/${file}`]) {
    try {
      const m = require(candidate) as FilePagesAddon;
      if (typeof m.dropPages === 'function') return m;
    } catch {
      // not built here, or for another system: the next place, then do without
    }
  }
  return null;
}

/** What one release did. */
export interface FilePagesReleased {
  /** Mappings handed back. */
  mappings: number;
  /** Bytes of them that were resident before. */
  residentBytes: number;
}

/**
 * Drops this process's clean file pages (see the top of this file). Returns what was released;
 * nothing when the addon is missing or `/proc/self/smaps` cannot be read.
 */
export function releaseCleanFilePages(): FilePagesReleased {
  const released = { mappings: 0, residentBytes: 0 };
  if (addon === undefined) addon = loadAddon();
  if (addon === null) return released;
  let smaps: string;
  try {
    smaps = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return released;
  }
  for (const m of cleanFileMappings(smaps)) {
    if (addon.dropPages(m.start, m.end - m.start) !== 0) continue;
    released.mappings++;
    released.residentBytes += m.residentBytes;
  }
  return released;
}
