import { describe, expect, test } from 'vitest';
import { parseStunServer, parseTurnServer, redactUrl } from './server-url.js';

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
