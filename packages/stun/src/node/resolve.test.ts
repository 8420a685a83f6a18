// resolveServerAddresses with an injected resolver: literals skip it, names give every A and AAAA
// address once, failures are one ServerNameError line, bounded by the timeout and the signal.
import { describe, expect, test } from 'vitest';
import { resolveServerAddresses, type ServerLookup, ServerNameError } from './resolve.js';

const failing =
  (code: string): ServerLookup =>
  async (host) => {
    throw Object.assign(new Error(`getaddrinfo ${code} ${host}`), { code });
  };

describe('resolveServerAddresses', () => {
  test('IP literals are used as they are, without the resolver', async () => {
    const lookup: ServerLookup = async () => {
      throw new Error('must not be asked');
    };
    expect(await resolveServerAddresses('192.0.2.1', 3478, { lookup })).toEqual([
      { family: 'IPv4', address: '192.0.2.1', port: 3478 },
    ]);
    expect(await resolveServerAddresses('[2001:DB8::1]', 5349, { lookup })).toEqual([
      { family: 'IPv6', address: '2001:db8::1', port: 5349 },
    ]);
    expect(await resolveServerAddresses('::1', 1, { lookup })).toEqual([
      { family: 'IPv6', address: '::1', port: 1 },
    ]);
  });

  test('a name gives all its A and AAAA addresses once, in the resolver’s order', async () => {
    const asked: string[] = [];
    const lookup: ServerLookup = async (host) => {
      asked.push(host);
      return [
        { address: '::1', family: 6 },
        { address: '127.0.0.1', family: 4 },
        { address: '127.0.0.1', family: 4 },
        { address: '::ffff:192.0.2.7', family: 6 },
      ];
    };
    expect(await resolveServerAddresses('localhost', 3478, { lookup })).toEqual([
      { family: 'IPv6', address: '::1', port: 3478 },
      { family: 'IPv4', address: '127.0.0.1', port: 3478 },
      { family: 'IPv4', address: '192.0.2.7', port: 3478 },
    ]);
    expect(asked).toEqual(['localhost']);
  });

  test.each([
    [
      'ENOTFOUND',
      'not-found',
      'STUN server stun.example.invalid:3478: the name does not resolve (ENOTFOUND)',
    ],
    ['ENODATA', 'not-found', 'STUN server stun.example.invalid:3478: the name does not resolve (ENODATA)'],
    [
      'EAI_AGAIN',
      'failed',
      'STUN server stun.example.invalid:3478: the name could not be resolved (EAI_AGAIN)',
    ],
  ])('%s is one line', async (code, kind, line) => {
    const error = await resolveServerAddresses('stun.example.invalid', 3478, { lookup: failing(code) }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ServerNameError);
    expect((error as ServerNameError).code).toBe(kind);
    expect((error as Error).message).toBe(line);
  });

  test('the label names the kind of server', async () => {
    await expect(
      resolveServerAddresses('turn.example.invalid', 5349, {
        lookup: failing('ENOTFOUND'),
        label: 'TURN server',
      }),
    ).rejects.toThrow('TURN server turn.example.invalid:5349: the name does not resolve (ENOTFOUND)');
  });

  test('a resolver that does not answer is bounded by the timeout and by the signal', async () => {
    const never: ServerLookup = () => new Promise(() => {});
    const t0 = performance.now();
    await expect(resolveServerAddresses('slow.test', 3478, { lookup: never, timeout: 100 })).rejects.toThrow(
      'STUN server slow.test:3478: the resolver gave no answer for the name within 100 ms',
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(
      resolveServerAddresses('slow.test', 3478, { lookup: never, signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  // Only /etc/hosts is asked of the system resolver here: a name it lacks would go to the
  // machine's DNS server, and tests send nothing off this machine (the injected lookups above
  // cover the failures).
  test('the system resolver honours /etc/hosts: localhost resolves', async () => {
    const found = await resolveServerAddresses('localhost', 3478, { timeout: 5000 });
    expect(found.some((a) => a.address === '127.0.0.1' || a.address === '::1')).toBe(true);
  });
});
