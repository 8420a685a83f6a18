import { describe, expect, it } from 'vitest';
import { newPrefix, prefixOf } from './netns.js';

describe('lab prefixes', () => {
  it('carry the pid, differ per call and are found again in namespace names', () => {
    const a = newPrefix();
    const b = newPrefix();
    expect(a).not.toBe(b);
    expect(a.startsWith(`nl${process.pid}x`)).toBe(true);
    expect(prefixOf(`${a}-r1`)).toBe(a);
    expect(prefixOf('nlcli-server')).toBe('nlcli');
    expect(prefixOf('upnp-123-wan')).toBeUndefined();
    expect(prefixOf('nlfoo-x')).toBeUndefined();
  });
});
