// The HOST:PORT parser for server addresses: names, IPv4, bracketed IPv6, bad ports -> HostPortError.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { HostPortError, parseHostPort, parseTransportAddress } from './address.js';

describe('parseHostPort', () => {
  test.each([
    ['stun.l.google.com:19302', 'stun.l.google.com', 19302],
    ['stun:stun.cloudflare.com:3478', 'stun.cloudflare.com', 3478],
    ['localhost', 'localhost', 3478],
    ['192.0.2.1:3478', '192.0.2.1', 3478],
    ['192.0.2.1', '192.0.2.1', 3478],
    ['[::1]:3478', '::1', 3478],
    ['[2001:db8::1]', '2001:db8::1', 3478],
    ['2001:db8::1', '2001:db8::1', 3478],
    ['  host-1.example:1  ', 'host-1.example', 1],
    ['[fe80::1%eth0]:5', 'fe80::1%eth0', 5],
  ])('%s', (text, host, port) => {
    expect(parseHostPort(text)).toEqual({ host, port });
  });

  test.each([
    'host:0',
    'host:65536',
    'host:-1',
    'host:3478x',
    'host:',
    ':3478',
    '',
    '[::1',
    '[::1]3478',
    '[not-v6]:3478',
    'bad host:3478',
    'a/b:3478',
    '[::1]:99999',
  ])('%j is a HostPortError', (text) => {
    expect(() => parseHostPort(text)).toThrow(HostPortError);
  });

  test('any text: a host and a port in 1-65535, or a HostPortError; never anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (text) => {
        try {
          const { host, port } = parseHostPort(text);
          expect(host.length).toBeGreaterThan(0);
          expect(Number.isInteger(port) && port >= 1 && port <= 65535).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(HostPortError);
          expect((error as Error).message).not.toContain('\n');
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('a name and a port round-trip', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    fc.assert(
      fc.property(
        fc.array(label, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 65535 }),
        (labels, port) => {
          const host = labels.join('.');
          expect(parseHostPort(`${host}:${port}`)).toEqual({ host, port });
        },
      ),
    );
  });

  test('a listen address may use port 0; a server address may not', () => {
    expect(parseTransportAddress('127.0.0.1:0')).toEqual({ family: 'IPv4', address: '127.0.0.1', port: 0 });
    expect(() => parseHostPort('127.0.0.1:0')).toThrow(/port must be 1-65535/);
  });
});
