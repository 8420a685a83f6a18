import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseStunServer, parseTurnServer, redactUrl, ServerUrlError } from './server-url.js';

describe('server URLs', () => {
  test('STUN', () => {
    expect(parseStunServer('stun.example.org')).toMatchObject({ host: 'stun.example.org', port: 3478 });
    expect(parseStunServer('stun:192.0.2.1:19302')).toMatchObject({ host: '192.0.2.1', port: 19302 });
    expect(parseStunServer('[2001:db8::1]:3479')).toMatchObject({ host: '2001:db8::1', port: 3479 });
    expect(() => parseStunServer('host:99999')).toThrow(/port/);
    expect(() => parseStunServer('bad host!:1')).toThrow(/host/);
  });

  test('TURN with credentials and transport', () => {
    expect(parseTurnServer('turn:alice:s3cr%40t@turn.example.org:3478?transport=tcp')).toMatchObject({
      host: 'turn.example.org',
      port: 3478,
      transport: 'tcp',
      username: 'alice',
      password: 's3cr@t',
    });
    expect(parseTurnServer('turns:bob:pw@192.0.2.5')).toMatchObject({ transport: 'tls', port: 5349 });
    expect(parseTurnServer('turn:bob:pw@[2001:db8::5]:3478')).toMatchObject({
      host: '2001:db8::5',
      transport: 'udp',
    });
    expect(() => parseTurnServer('turn:host:3478')).toThrow(/credentials/);
    expect(() => parseTurnServer('stun:x')).toThrow(/turn:/);
    expect(redactUrl('turn:alice:secret@h:1')).toBe('turn:alice:***@h:1');
  });
});

describe('server URLs: every input is a result or a ServerUrlError', () => {
  test.each([
    ['localhost:3478', 'localhost', 3478],
    ['stun.l.google.com:19302', 'stun.l.google.com', 19302],
    ['[::1]:3478', '::1', 3478],
    ['127.0.0.1', '127.0.0.1', 3478],
  ])('STUN %s', (url, host, port) => {
    expect(parseStunServer(url)).toMatchObject({ host, port });
  });

  test.each(['h:0', 'h:65536', 'h:-1', 'h:12x', '[::1', '[::1]x', ':3478', ''])(
    'STUN %j is a ServerUrlError',
    (url) => {
      expect(() => parseStunServer(url)).toThrow(ServerUrlError);
    },
  );

  test.each([
    'turn:u:p@h:0',
    'turn:u:p@h:70000',
    'turn:u:%E0%A4%A@h:3478',
    'turn:u:p@h?transport=sctp',
    'turns:u:p@h?transport=udp',
    'turn:u:p@[::1',
  ])('TURN %j is a ServerUrlError', (url) => {
    expect(() => parseTurnServer(url)).toThrow(ServerUrlError);
  });

  test('arbitrary text never throws anything else', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 48 }),
      fc.string({ maxLength: 40 }).map((s) => `turn:${s}`),
      fc.string({ maxLength: 40 }).map((s) => `turns:u:p@${s}`),
    );
    fc.assert(
      fc.property(text, (url) => {
        for (const parse of [parseStunServer, parseTurnServer]) {
          try {
            const r = parse(url);
            expect(r.port >= 1 && r.port <= 65535).toBe(true);
            expect(r.host.length).toBeGreaterThan(0);
          } catch (error) {
            expect(error).toBeInstanceOf(ServerUrlError);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});

test('a bad TURN URL is reported without its password', () => {
  expect(() => parseTurnServer('turn:alice:hunter2@h:0')).toThrow(
    'bad server URL "turn:alice:***@h:0": port must be 1-65535',
  );
});
