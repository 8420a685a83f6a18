// Importing @p2pcat/ice must not load @p2pcat/gather (and with it TURN, UPnP's XML parser, PCP,
// NAT-PMP and TLS: 8 MiB of RSS): only connectWithServers() imports it, on first use.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('@p2pcat/gather is loaded lazily', () => {
  it('no source file imports a value from it statically', () => {
    const offenders = sources(join(import.meta.dirname, '..')).filter((f) =>
      /^(?:import|export)\s+(?!type\b)[^;]*from\s+'@p2pcat\/gather'/m.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('connectWithServers imports it dynamically', () => {
    const src = readFileSync(join(import.meta.dirname, 'server-connection.ts'), 'utf8');
    expect(src).toContain("await import('@p2pcat/gather')");
  });
});
