import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanFileMappings } from './file-pages.js';

/** One smaps entry; `fields` override the clean defaults. */
function entry(header: string, fields: Record<string, number> = {}, flags = 'rd mr mw me sd'): string {
  const kB: Record<string, number> = {
    Size: 7612,
    Rss: 5940,
    Pss: 2970,
    Shared_Clean: 5940,
    Shared_Dirty: 0,
    Private_Clean: 0,
    Private_Dirty: 0,
    Referenced: 5940,
    Anonymous: 0,
    Swap: 0,
    SwapPss: 0,
    Locked: 0,
    ...fields,
  };
  const lines = Object.entries(kB).map(([k, v]) => `${`${k}:`.padEnd(16)}${String(v).padStart(8)} kB`);
  return [header, ...lines, 'THPeligible:    0', `VmFlags: ${flags} `].join('\n');
}

const NODE = (range: string, perms: string) =>
  `${range} ${perms} 00772000 fe:00 260689                             /usr/bin/node`;

describe('cleanFileMappings', () => {
  it('keeps private read-only file mappings whose every page is still the file', () => {
    const smaps = [
      entry(NODE('00400000-00b6f000', 'r--p')),
      entry(NODE('00b72000-025fe000', 'r-xp'), { Rss: 16592 }),
    ].join('\n');
    expect(cleanFileMappings(smaps)).toEqual([
      { start: 0x400000n, end: 0xb6f000n, path: '/usr/bin/node', residentBytes: 5940 * 1024 },
      { start: 0xb72000n, end: 0x25fe000n, path: '/usr/bin/node', residentBytes: 16592 * 1024 },
    ]);
  });

  it('never keeps a mapping with a page that is not the file', () => {
    const refused = [
      entry(NODE('1000-2000', 'rw-p')), // writable
      entry(NODE('1000-2000', 'r--s')), // shared
      entry(NODE('1000-2000', 'r--p'), { Anonymous: 4 }), // a private copy (relocated, breakpoint)
      entry(NODE('1000-2000', 'r--p'), { Swap: 4 }),
      entry(NODE('1000-2000', 'r--p'), { Private_Dirty: 4 }),
      entry(NODE('1000-2000', 'r--p'), { Shared_Dirty: 4 }),
      entry(NODE('1000-2000', 'r--p'), { Locked: 4 }),
      entry(NODE('1000-2000', 'r--p'), {}, 'rd mr lo'), // mlocked
      entry(NODE('1000-2000', 'r--p'), {}, 'rd io pf'),
      entry(NODE('1000-2000', 'r--p'), { Rss: 0 }), // nothing to gain
      entry('7ffd1000-7ffd3000 r-xp 00000000 00:00 0                          [vdso]'),
      entry('7f000000-7f001000 r--p 00000000 00:00 0 '), // anonymous
      entry('7f000000-7f001000 r--p 00000000 fe:00 42 /usr/lib/old.so (deleted)'),
      entry('3000-1000 r--p 00000000 fe:00 42 /usr/lib/x.so'), // not a range
      // an older kernel without the Anonymous field: not proven clean
      entry(NODE('1000-2000', 'r--p')).replace(/^Anonymous:.*\n/m, ''),
    ];
    for (const smaps of refused) expect(cleanFileMappings(smaps), smaps.split('\n')[0]).toEqual([]);
    expect(cleanFileMappings(refused.join('\n'))).toEqual([]);
  });

  it('reads any text without throwing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        expect(Array.isArray(cleanFileMappings(text))).toBe(true);
      }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(entry(NODE('1000-2000', 'r--p')), 'Rss: x kB', 'VmFlags:', '\n', 'garbage'),
          {
            maxLength: 12,
          },
        ),
        (parts) => {
          for (const m of cleanFileMappings(parts.join('\n'))) expect(m.end > m.start).toBe(true);
        },
      ),
    );
  });

  it('parses this process’s own smaps (Linux)', () => {
    if (!existsSync('/proc/self/smaps')) return;
    const found = cleanFileMappings(execFileSync('cat', ['/proc/self/smaps'], { encoding: 'utf8' }));
    expect(found.some((m) => m.path.includes('cat') || m.path.includes('libc'))).toBe(true);
  });
});

const addon = new URL(`../dist/native/${process.platform}-${process.arch}/file-pages.node`, import.meta.url);
const built = new URL('../dist/file-pages.js', import.meta.url);

/** Runs `body` in a fresh node process that has `release` (dist/file-pages.js) and `status()`. */
function child(body: string, env: Record<string, string> = {}): Record<string, number> {
  const script = `
    import { readFileSync } from 'node:fs';
    const { releaseCleanFilePages: release } = await import(${JSON.stringify(built.href)});
    const status = () => Object.fromEntries(readFileSync('/proc/self/status', 'utf8').split('\\n')
      .filter((l) => /^(VmRSS|RssFile|RssAnon):/.test(l)).map((l) => [l.split(':')[0], Number(l.split(/\\s+/)[1]) * 1024]));
    const out = {};
    ${body}
    process.stdout.write(JSON.stringify(out));`;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout) as Record<string, number>;
}

// Linux with the addon built (CI builds it): tested; elsewhere only the fallback applies.
const native = process.platform === 'linux' && existsSync(addon) && existsSync(built);
if (process.env.CI === 'true' && process.platform === 'linux' && !native)
  throw new Error('CI: the file-pages addon was not built (run the build first)');

if (!native)
  console.log(`file-pages: skipped: addon or dist not built for ${process.platform}-${process.arch}`);
if (native)
  describe('releaseCleanFilePages in a node process (Linux addon)', () => {
    it('hands back file pages, keeps the process working, and its memory intact', () => {
      const r = child(`
      const data = Buffer.alloc(8 << 20, 7); // 8 MiB of anonymous memory that must survive
      const before = status();
      const released = release();
      const after = status();
      // code node has not run yet, and code it ran before: both come back from the page cache
      const { gzipSync, gunzipSync } = await import('node:zlib');
      const { createHash } = await import('node:crypto');
      const round = gunzipSync(gzipSync(data));
      out.roundTrip = round.equals(data) ? 1 : 0;
      out.sum = data.reduce((a, b) => a + b, 0);
      out.hash = createHash('sha256').update(round).digest('hex') === createHash('sha256').update(data).digest('hex') ? 1 : 0;
      out.mappings = released.mappings;
      out.resident = released.residentBytes;
      out.fileBefore = before.RssFile; out.fileAfter = after.RssFile;
      out.anonBefore = before.RssAnon; out.anonAfter = after.RssAnon;
      out.again = release().mappings;`);
      expect(r.roundTrip).toBe(1);
      expect(r.hash).toBe(1);
      expect(r.sum).toBe(7 * (8 << 20));
      expect(r.mappings).toBeGreaterThan(0);
      // node's executable alone has 20+ MiB of such pages right after it started
      expect(r.resident).toBeGreaterThan(10 << 20);
      expect(r.fileBefore! - r.fileAfter!).toBeGreaterThan(10 << 20);
      // the process's own memory is not touched (within what the two status reads allocate)
      expect(Math.abs(r.anonAfter! - r.anonBefore!)).toBeLessThan(2 << 20);
      expect(r.again).toBeGreaterThan(0); // callable again: pages used since are released again
    });
  });

if (existsSync(built))
  describe('releaseCleanFilePages without the addon', () => {
    it('does nothing with P2PCAT_NO_NATIVE=1 (the path without the addon)', () => {
      const r = child(
        `const released = release(); out.mappings = released.mappings; out.resident = released.residentBytes;`,
        { P2PCAT_NO_NATIVE: '1' },
      );
      expect(r).toEqual({ mappings: 0, resident: 0 });
    });
  });
