// createTurnSocket: a TURN server by "host:port", resolved once through the injected resolver.
import type { ServerLookup } from '@p2pcat/stun';
import { describe, expect, test } from 'vitest';
import { TurnError } from '../errors.js';
import { createTurnSocket } from './by-name.js';

const table: ServerLookup = async (host) => {
  if (host === 'turn.test')
    return [
      { address: '2001:db8::7', family: 6 },
      { address: '192.0.2.7', family: 4 },
    ];
  if (host === 'v6.test') return [{ address: '2001:db8::8', family: 6 }];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
const creds = { username: 'u', password: 'p' };

describe('createTurnSocket', () => {
  test('a name: the A address by default, the AAAA address on request, the port kept', async () => {
    expect((await createTurnSocket({ ...creds, server: 'turn.test:3479', lookup: table })).server).toEqual({
      family: 'IPv4',
      address: '192.0.2.7',
      port: 3479,
    });
    expect(
      (await createTurnSocket({ ...creds, server: 'turn.test', family: 'IPv6', lookup: table })).server,
    ).toEqual({ family: 'IPv6', address: '2001:db8::7', port: 3478 });
    expect((await createTurnSocket({ ...creds, server: 'v6.test:1', lookup: table })).server.family).toBe(
      'IPv6',
    );
    expect(
      (await createTurnSocket({ ...creds, server: 'turn.test', transport: 'tls', lookup: table })).server
        .port,
    ).toBe(5349);
  });

  test('IP literals (bracketed IPv6 too) skip the resolver', async () => {
    const never: ServerLookup = async () => {
      throw new Error('must not be asked');
    };
    expect((await createTurnSocket({ ...creds, server: '[::1]:3478', lookup: never })).server).toEqual({
      family: 'IPv6',
      address: '::1',
      port: 3478,
    });
    expect((await createTurnSocket({ ...creds, server: '127.0.0.1:9', lookup: never })).server.address).toBe(
      '127.0.0.1',
    );
  });

  test('a name that does not resolve, a bad port: one-line TurnErrors', async () => {
    await expect(
      createTurnSocket({ ...creds, server: 'turn.example.invalid:3478', lookup: table }),
    ).rejects.toEqual(
      new TurnError(
        'server-unreachable',
        'TURN server turn.example.invalid:3478: the name does not resolve (ENOTFOUND)',
      ),
    );
    const bad = await createTurnSocket({ ...creds, server: 'turn.test:0', lookup: table }).catch(
      (e: unknown) => e,
    );
    expect(bad).toBeInstanceOf(TurnError);
    expect((bad as TurnError).code).toBe('bad-request');
    expect((bad as TurnError).message).toMatch(/port must be 1-65535/);
    await expect(
      createTurnSocket({ ...creds, server: 'v6.test', family: 'IPv4', lookup: table }),
    ).rejects.toThrow('TURN server v6.test has no IPv4 address (it resolved to 2001:db8::8)');
  });
});
