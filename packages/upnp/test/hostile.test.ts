// Hostile and odd answers from fake gateways on loopback: NAT-PMP, PCP, SSDP, descriptions, SOAP.
import { afterEach, describe, expect, it } from 'vitest';
import {
  findInternetGatewayDevice,
  GatewayResultError,
  type MapPortOptions,
  mapPort,
  NoPortMappingServiceError,
  PortMappingError,
  UpnpDescriptionError,
  UpnpSoapError,
} from '../src/index.js';
import {
  actionOf,
  argOf,
  type FakeHttp,
  type FakeUdp,
  fakeHttp,
  fakeUdpServer,
  igdDescription,
  soapFault,
  soapOk,
  ssdpResponder,
} from './fakes.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});
function track<T extends { close(): Promise<void> }>(x: T): T {
  closers.push(() => x.close());
  return x;
}

// ---- NAT-PMP / PCP fake server helpers ----

function natPmpAnswer(req: Uint8Array, externalAddress: number[] = [203, 0, 113, 9], result = 0): Uint8Array {
  const op = req[1] ?? 0;
  if (op === 0) {
    const b = new Uint8Array(12);
    b[1] = 128;
    b[3] = result;
    b.set(externalAddress, 8);
    return b;
  }
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  b[1] = 128 + op;
  b[3] = result;
  v.setUint16(8, (req[4] ?? 0) * 256 + (req[5] ?? 0));
  v.setUint16(10, 30000);
  v.setUint32(12, new DataView(req.buffer, req.byteOffset).getUint32(8));
  return b;
}

function pcpAnswer(
  req: Uint8Array,
  opts: { result?: number; nonceFlip?: boolean; externalPort?: number } = {},
): Uint8Array {
  const b = new Uint8Array(60);
  b.set(req.subarray(0, 60));
  const v = new DataView(b.buffer);
  b[1] = 0x81;
  b[2] = 0;
  b[3] = opts.result ?? 0;
  v.setUint32(8, 1234); // epoch
  b.fill(0, 12, 24);
  if (opts.nonceFlip) b[24] = (b[24] ?? 0) ^ 0xff;
  v.setUint16(42, opts.externalPort ?? 41000);
  b.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 9], 44);
  return b;
}

async function gatewayOpts(server: FakeUdp, extra: Partial<MapPortOptions> = {}): Promise<MapPortOptions> {
  return {
    internalPort: 5000,
    gateway: '127.0.0.1',
    gatewayPort: server.port,
    autoRenew: false,
    timeoutMs: 1500,
    ...extra,
  };
}

describe('NAT-PMP against a fake gateway', () => {
  it('maps, ignores garbage sent before the real answer, renews and deletes', async () => {
    const s = track(
      await fakeUdpServer((msg, reply) => {
        reply(new Uint8Array([0xde, 0xad])); // garbage first
        reply(new Uint8Array(16).fill(0x81)); // wrong version
        reply(natPmpAnswer(msg));
      }),
    );
    const m = await mapPort(await gatewayOpts(s, { methods: ['nat-pmp'], lifetime: 300 }));
    expect(m).toMatchObject({
      method: 'nat-pmp',
      externalAddress: '203.0.113.9',
      externalPort: 30000,
      lifetime: 300,
      doubleNat: false,
    });
    expect(m.expiresAt - Date.now()).toBeGreaterThan(290_000);
    await m.renew();
    await m.close();
    const last = s.received.at(-1) ?? new Uint8Array();
    // RFC 6886 §3.4: delete = lifetime 0 and external port 0
    expect(Array.from(last)).toEqual([0, 1, 0, 0, 0x13, 0x88, 0, 0, 0, 0, 0, 0]);
  });

  it('renews by itself at half the lifetime (RFC 6886 §3.3)', async () => {
    const s = track(await fakeUdpServer((msg, reply) => reply(natPmpAnswer(msg))));
    const renewed: number[] = [];
    const started = Date.now();
    const m = await mapPort(
      await gatewayOpts(s, {
        methods: ['nat-pmp'],
        lifetime: 2,
        autoRenew: true,
        onRenew: () => renewed.push(Date.now() - started),
      }),
    );
    await new Promise((r) => setTimeout(r, 1900));
    await m.close();
    expect(renewed).toHaveLength(1);
    expect(renewed[0]).toBeGreaterThanOrEqual(950);
    expect(renewed[0]).toBeLessThan(1800);
  });

  it('close during a renewal deletes after the renewal, and both finish', async () => {
    const s = track(await fakeUdpServer((msg, reply) => setTimeout(() => reply(natPmpAnswer(msg)), 30)));
    const m = await mapPort(await gatewayOpts(s, { methods: ['nat-pmp'] }));
    const renewing = m.renew();
    const closing = m.close();
    await Promise.all([renewing, closing]);
    const last = s.received.at(-1) ?? new Uint8Array();
    expect(new DataView(last.buffer).getUint32(8)).toBe(0); // the deletion went last
  });

  it('reports a CGNAT external address as double NAT', async () => {
    const s = track(await fakeUdpServer((msg, reply) => reply(natPmpAnswer(msg, [100, 64, 1, 2]))));
    const m = await mapPort(await gatewayOpts(s, { methods: ['nat-pmp'] }));
    expect(m.doubleNat).toBe(true);
    await m.close();
  });

  it('turns a refusal into a typed one-line error', async () => {
    const s = track(await fakeUdpServer((msg, reply) => reply(natPmpAnswer(msg, undefined, 2))));
    const err = await mapPort(await gatewayOpts(s, { methods: ['nat-pmp'] })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(GatewayResultError);
    expect((err as GatewayResultError).message).toMatch(/NAT-PMP.*Not Authorized/);
    expect((err as Error).message).not.toContain('\n');
  });
});

describe('PCP against a fake gateway', () => {
  it('maps with a nonce, renews and deletes with the same nonce', async () => {
    const s = track(await fakeUdpServer((msg, reply) => reply(pcpAnswer(msg))));
    const m = await mapPort(await gatewayOpts(s, { methods: ['pcp'], lifetime: 600 }));
    expect(m).toMatchObject({
      method: 'pcp',
      externalPort: 41000,
      externalAddress: '203.0.113.9',
      lifetime: 600,
    });
    await m.renew();
    await m.close();
    expect(s.received).toHaveLength(3);
    const [first, renew, del] = s.received as [Uint8Array, Uint8Array, Uint8Array];
    expect(first[0]).toBe(2);
    expect(Buffer.from(renew.subarray(24, 36)).equals(Buffer.from(first.subarray(24, 36)))).toBe(true);
    expect(Buffer.from(del.subarray(24, 36)).equals(Buffer.from(first.subarray(24, 36)))).toBe(true);
    expect(new DataView(renew.buffer).getUint16(42)).toBe(41000); // suggests what was assigned
    expect(new DataView(del.buffer).getUint32(4)).toBe(0); // RFC 6887 §15: lifetime 0 deletes
  });

  it('ignores an answer with the wrong nonce and then times out with no-service', async () => {
    const s = track(await fakeUdpServer((msg, reply) => reply(pcpAnswer(msg, { nonceFlip: true }))));
    const started = Date.now();
    const err = await mapPort(await gatewayOpts(s, { methods: ['pcp'], timeoutMs: 700 })).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(NoPortMappingServiceError);
    expect((err as Error).message).toMatch(/^no port-mapping service found/);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('falls back to NAT-PMP when the server answers UNSUPP_VERSION (RFC 6887 §9)', async () => {
    const s = track(
      await fakeUdpServer((msg, reply) => {
        if (msg[0] === 2)
          reply(new Uint8Array([0, 0x81, 0, 1, 0, 0, 0, 7])); // NAT-PMP-only server
        else reply(natPmpAnswer(msg));
      }),
    );
    const started = Date.now();
    const m = await mapPort(await gatewayOpts(s, { methods: ['pcp', 'nat-pmp'], timeoutMs: 3000 }));
    expect(m.method).toBe('nat-pmp');
    expect(Date.now() - started).toBeLessThan(550); // no waiting for PCP's 600 ms head start
    await m.close();
  });

  it('reports a PCP refusal code', async () => {
    const s = track(await fakeUdpServer((msg, reply) => reply(pcpAnswer(msg, { result: 2 }))));
    const err = await mapPort(await gatewayOpts(s, { methods: ['pcp'] })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(GatewayResultError);
    expect((err as GatewayResultError).resultCode).toBe(2);
    expect((err as Error).message).toContain('NOT_AUTHORIZED');
  });

  it('survives a flood of random answers', async () => {
    let n = 0;
    const s = track(
      await fakeUdpServer((msg, reply) => {
        for (let i = 0; i < 50; i++) {
          const junk = new Uint8Array((i * 7) % 70);
          for (let j = 0; j < junk.length; j++) junk[j] = (i * 31 + j * 17 + n) & 255;
          reply(junk);
        }
        n++;
        reply(pcpAnswer(msg));
      }),
    );
    const m = await mapPort(await gatewayOpts(s, { methods: ['pcp'] }));
    expect(m.externalPort).toBe(41000);
    await m.close();
  });
});

// ---- UPnP-IGD ----

interface IgdScript {
  description?: (res: import('node:http').ServerResponse) => void;
  soap?: (action: string, body: string) => { status?: number; xml: string } | undefined;
}

async function fakeIgd(
  script: IgdScript,
  version: 1 | 2 = 1,
): Promise<{ http: FakeHttp; ssdp: FakeUdp; opts: MapPortOptions }> {
  const st = `urn:schemas-upnp-org:service:WANIPConnection:${version}`;
  const http = track(
    await fakeHttp((req, body, res) => {
      if (req.url === '/desc.xml') {
        if (script.description) return script.description(res);
        res.writeHead(200, { 'Content-Type': 'text/xml' }).end(igdDescription(version));
        return;
      }
      const action = actionOf(req);
      const scripted = script.soap?.(action, body);
      if (scripted) {
        res.writeHead(scripted.status ?? 200, { 'Content-Type': 'text/xml' }).end(scripted.xml);
        return;
      }
      if (action === 'GetExternalIPAddress')
        res.end(soapOk(action, st, { NewExternalIPAddress: '203.0.113.50' }));
      else if (action === 'AddAnyPortMapping') res.end(soapOk(action, st, { NewReservedPort: 5555 }));
      else res.end(soapOk(action, st));
    }),
  );
  const ssdp = track(await ssdpResponder(() => `${http.url}/desc.xml`));
  return {
    http,
    ssdp,
    opts: {
      internalPort: 5000,
      methods: ['upnp-igd'],
      autoRenew: false,
      timeoutMs: 1500,
      ssdpTarget: { address: '127.0.0.1', port: ssdp.port },
      interfaces: [{ address: '127.0.0.1', netmask: '255.0.0.0' }],
    },
  };
}

describe('UPnP-IGD against a fake device', () => {
  it('maps with AddPortMapping on IGD:1, reads the external address, deletes on close', async () => {
    const { http, opts } = await fakeIgd({});
    const m = await mapPort(opts);
    expect(m).toMatchObject({
      method: 'upnp-igd',
      externalAddress: '203.0.113.50',
      externalPort: 5000,
      gateway: '127.0.0.1',
    });
    await m.close();
    const actions = http.hits.filter((h) => h.startsWith('POST')).map((h) => h.split('#')[1]);
    expect(actions.sort()).toEqual([
      'AddPortMapping"',
      'DeletePortMapping"',
      'GetExternalIPAddress"',
      'GetStatusInfo"',
    ]);
  });

  it('uses AddAnyPortMapping on IGD:2 and keeps the reserved port', async () => {
    const { opts } = await fakeIgd({}, 2);
    const m = await mapPort(opts);
    expect(m.externalPort).toBe(5555);
    await m.close();
  });

  it('718 ConflictInMappingEntry: tries another external port', async () => {
    const ports: string[] = [];
    const { opts } = await fakeIgd({
      soap: (action, body) => {
        if (action !== 'AddPortMapping') return undefined;
        ports.push(argOf(body, 'NewExternalPort') ?? '');
        return ports.length === 1
          ? { status: 500, xml: soapFault(718, 'ConflictInMappingEntry') }
          : undefined;
      },
    });
    const m = await mapPort(opts);
    expect(ports).toHaveLength(2);
    expect(ports[0]).toBe('5000');
    expect(m.externalPort).toBe(Number(ports[1]));
    await m.close();
  });

  it('725 OnlyPermanentLeasesSupported: maps with lease 0, never expires, deletes on close', async () => {
    const leases: string[] = [];
    const { http, opts } = await fakeIgd({
      soap: (action, body) => {
        if (action !== 'AddPortMapping') return undefined;
        leases.push(argOf(body, 'NewLeaseDuration') ?? '');
        return leases.length === 1
          ? { status: 500, xml: soapFault(725, 'OnlyPermanentLeasesSupported') }
          : undefined;
      },
    });
    const m = await mapPort(opts);
    expect(leases).toEqual(['7200', '0']);
    expect(m.lifetime).toBe(0);
    expect(m.expiresAt).toBe(Number.POSITIVE_INFINITY);
    await m.close();
    expect(http.hits.at(-1)).toContain('DeletePortMapping');
  });

  it('606 Action not authorized: rejects with the UPnP code', async () => {
    const { opts } = await fakeIgd({
      soap: (action) =>
        action === 'AddPortMapping'
          ? { status: 500, xml: soapFault(606, 'Action not authorized') }
          : undefined,
    });
    const err = await mapPort(opts).catch((e: Error) => e);
    expect(err).toBeInstanceOf(UpnpSoapError);
    expect((err as UpnpSoapError).upnpCode).toBe(606);
    expect((err as Error).message).toContain('enable UPnP');
  });

  it('refuses an IGD whose WAN connection is down (GetStatusInfo)', async () => {
    const { opts } = await fakeIgd({
      soap: (action) =>
        action === 'GetStatusInfo'
          ? {
              xml: soapOk(action, 'x', {
                NewConnectionStatus: 'Disconnected',
                NewLastConnectionError: 'ERROR_NONE',
                NewUptime: 0,
              }),
            }
          : undefined,
    });
    const err = await mapPort(opts).catch((e: Error) => e);
    expect((err as PortMappingError).code).toBe('refused');
    expect((err as Error).message).toContain('Disconnected');
  });

  it('refuses a wrongly typed GetExternalIPAddress answer', async () => {
    const { opts } = await fakeIgd({
      soap: (action) =>
        action === 'GetExternalIPAddress'
          ? { xml: soapOk(action, 'x', { NewExternalIPAddress: '<![CDATA[evil]]>' }) }
          : undefined,
    });
    const err = await mapPort(opts).catch((e: Error) => e);
    expect(err).toBeInstanceOf(UpnpDescriptionError);
  });

  it('refuses a huge description, with or without Content-Length', async () => {
    const big = `<root>${'<x>y</x>'.repeat(40_000)}</root>`;
    for (const chunked of [false, true]) {
      const { opts } = await fakeIgd({
        description: (res) => {
          if (chunked) {
            res.writeHead(200);
            for (let i = 0; i < 40; i++) res.write(big.slice(0, 10_000));
            res.end();
          } else res.writeHead(200, { 'Content-Length': String(big.length) }).end(big);
        },
      });
      const err = await mapPort(opts).catch((e: Error) => e);
      expect(err).toBeInstanceOf(PortMappingError);
      expect((err as PortMappingError).code).toBe('too-large');
    }
  });

  it('gives up on a description that never finishes, within the budget', async () => {
    const { opts } = await fakeIgd({ description: (res) => res.writeHead(200).write('<root>') });
    const started = Date.now();
    const err = await mapPort({ ...opts, timeoutMs: 600 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(NoPortMappingServiceError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses malformed XML with a typed error', async () => {
    const { opts } = await fakeIgd({
      description: (res) => res.writeHead(200).end('<root><device><serviceList></root>'),
    });
    const err = await mapPort(opts).catch((e: Error) => e);
    expect(err).toBeInstanceOf(UpnpDescriptionError);
  });

  it('never fetches a LOCATION that is off the subnet of the answering interface', async () => {
    const offSubnet = track(await fakeHttp((_req, _body, res) => res.end(igdDescription(1)), '127.0.0.2'));
    const ssdp = track(await ssdpResponder(() => `${offSubnet.url}/desc.xml`));
    const err = await mapPort({
      internalPort: 5000,
      methods: ['upnp-igd'],
      timeoutMs: 500,
      ssdpTarget: { address: '127.0.0.1', port: ssdp.port },
      interfaces: [{ address: '127.0.0.1', netmask: '255.255.255.255' }],
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(NoPortMappingServiceError);
    const causes = (err as NoPortMappingServiceError).causes;
    expect(causes.some((c) => c instanceof PortMappingError && c.code === 'untrusted-location')).toBe(true);
    expect(offSubnet.hits).toEqual([]);
  });
});

describe('mapPort with nothing answering', () => {
  it('says "no port-mapping service found" after the bounded time', async () => {
    const silent = track(await fakeUdpServer(() => undefined));
    const started = Date.now();
    const err = await mapPort({
      internalPort: 5000,
      gateway: '127.0.0.1',
      gatewayPort: silent.port,
      ssdpTarget: { address: '127.0.0.1', port: silent.port },
      interfaces: [{ address: '127.0.0.1', netmask: '255.0.0.0' }],
      timeoutMs: 800,
    }).catch((e: Error) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(NoPortMappingServiceError);
    expect(elapsed).toBeGreaterThanOrEqual(750);
    expect(elapsed).toBeLessThan(2000);
  });

  it('stops at once when the caller aborts', async () => {
    const silent = track(await fakeUdpServer(() => undefined));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    const err = await mapPort({
      internalPort: 5000,
      gateway: '127.0.0.1',
      gatewayPort: silent.port,
      methods: ['pcp', 'nat-pmp'],
      signal: ac.signal,
    }).catch((e: Error) => e);
    expect(err).toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('mapPort options', () => {
  it('rejects bad options with a TypeError naming the option', async () => {
    await expect(mapPort({ internalPort: 0 })).rejects.toThrow(/internalPort/);
    await expect(mapPort({ internalPort: 70000 })).rejects.toThrow(/internalPort/);
    await expect(mapPort({ internalPort: 5000, lifetime: 1.5 })).rejects.toThrow(/lifetime/);
    await expect(mapPort({ internalPort: 5000, externalPort: -1 })).rejects.toThrow(/externalPort/);
  });
});

describe('mapPort race', () => {
  it('returns the first mapping and leaves no loser mapped behind', async () => {
    // PCP answers at once; UPnP (SSDP, description, SOAP) is cancelled or, if it mapped, deleted.
    const pcpGateway = track(await fakeUdpServer((msg, reply) => reply(pcpAnswer(msg))));
    const { http, opts } = await fakeIgd({});
    const m = await mapPort({
      ...opts,
      methods: undefined,
      gateway: '127.0.0.1',
      gatewayPort: pcpGateway.port,
    });
    expect(m.method).toBe('pcp');
    await new Promise((r) => setTimeout(r, 300));
    const adds = http.hits.filter((h) => /AddPortMapping|AddAnyPortMapping/.test(h)).length;
    const deletes = http.hits.filter((h) => h.includes('DeletePortMapping')).length;
    expect(adds).toBe(deletes);
    await m.close();
  });
});

// Issue 15: every operation that waits takes a signal, and an abort rejects with an AbortError.
describe('aborts and the error shape', () => {
  const abortSoon = (ms = 50): AbortSignal => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), ms);
    return ac.signal;
  };
  const loopback = [{ address: '127.0.0.1', netmask: '255.0.0.0' }];

  it('mapPort: an already aborted signal rejects with its reason', async () => {
    const reason = new DOMException('mine', 'AbortError');
    await expect(mapPort({ internalPort: 5000, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const other = await mapPort({ internalPort: 5000, signal: AbortSignal.abort('why') }).catch(
      (e: Error) => e,
    );
    expect(other).toMatchObject({ name: 'AbortError', cause: 'why' });
  });

  it('findInternetGatewayDevice: an abort during the SSDP search or the description fetch', async () => {
    const silent = track(await fakeUdpServer(() => undefined));
    const started = Date.now();
    const a = await findInternetGatewayDevice({
      timeoutMs: 5000,
      interfaces: loopback,
      target: { address: '127.0.0.1', port: silent.port },
      signal: abortSoon(),
    }).catch((e: Error) => e);
    expect(a).toMatchObject({ name: 'AbortError' });
    // a device whose description never comes
    const hanging = track(await fakeHttp(() => undefined));
    const ssdp = track(await ssdpResponder(() => `${hanging.url}/desc.xml`));
    const b = await findInternetGatewayDevice({
      timeoutMs: 5000,
      interfaces: loopback,
      target: { address: '127.0.0.1', port: ssdp.port },
      signal: abortSoon(300),
    }).catch((e: Error) => e);
    expect(b).toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('PortMapping.renew and close: an abort stops waiting for a silent gateway', async () => {
    let silent = false;
    const s = track(
      await fakeUdpServer((msg, reply) => {
        if (!silent) reply(natPmpAnswer(msg));
      }),
    );
    const m = await mapPort(await gatewayOpts(s, { methods: ['nat-pmp'] }));
    silent = true;
    const started = Date.now();
    await expect(m.renew({ signal: abortSoon() })).rejects.toMatchObject({ name: 'AbortError' });
    await expect(m.close({ signal: abortSoon() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(m.renew()).rejects.toMatchObject({ name: 'PortMappingError', code: 'closed' });
  });

  it('PortMapping.close: a deletion the gateway never confirms is a timeout PortMappingError', async () => {
    let silent = false;
    const s = track(
      await fakeUdpServer((msg, reply) => {
        if (!silent) reply(natPmpAnswer(msg));
      }),
    );
    const m = await mapPort(await gatewayOpts(s, { methods: ['nat-pmp'] }));
    silent = true;
    const err = await m.close().catch((e: Error) => e);
    expect(err).toBeInstanceOf(PortMappingError);
    expect(err).toMatchObject({ code: 'timeout' });
    expect((err as Error).cause).toMatchObject({ name: 'AbortError' });
  });

  it('NoPortMappingServiceError keeps what each protocol ran into as its cause', async () => {
    const silent = track(await fakeUdpServer(() => undefined));
    const err = await mapPort(await gatewayOpts(silent, { methods: ['nat-pmp'], timeoutMs: 300 })).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(NoPortMappingServiceError);
    expect(err).toMatchObject({ code: 'no-service' });
    expect((err as Error).cause).toBeInstanceOf(AggregateError);
  });
});
