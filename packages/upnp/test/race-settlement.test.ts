// mapPort's losers against a router serving PCP and UPnP-IGD from one rule table: a loser whose
// request reached the router is never left behind, and never deletes the winner's rule while the
// winner is open. Answers are held or dropped by the fake router, not raced against timers.
import { afterEach, describe, expect, it } from 'vitest';
import { type MapPortOptions, mapPort } from '../src/index.js';
import { ruleList, type UnifiedRouter, unifiedRouter } from './unified-router.js';

const routers: UnifiedRouter[] = [];
afterEach(async () => {
  for (const r of routers.splice(0)) await r.close();
});

async function router(): Promise<UnifiedRouter> {
  const r = await unifiedRouter();
  routers.push(r);
  return r;
}

function options(r: UnifiedRouter): MapPortOptions {
  return {
    internalPort: 5000,
    methods: ['pcp', 'upnp-igd'],
    gateway: '127.0.0.1',
    gatewayPort: r.gatewayPort,
    ssdpTarget: { address: '127.0.0.1', port: r.ssdpPort },
    interfaces: [{ address: '127.0.0.1', netmask: '255.0.0.0' }],
    autoRenew: false,
    timeoutMs: 1500,
  };
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** PCP wins, but only once UPnP's AddPortMapping has reached the router. */
async function pcpWinsAfterUpnpAdd(r: UnifiedRouter): Promise<Awaited<ReturnType<typeof mapPort>>> {
  r.policy['pcp-map'] = 'hold';
  const mapping = mapPort(options(r));
  await r.reached('upnp-add');
  r.policy['pcp-map'] = 'send';
  r.release('pcp-map');
  const m = await mapping;
  expect(m.method).toBe('pcp');
  return m;
}

describe('mapPort settles the losers of its race', () => {
  it('a loser whose AddPortMapping reached the router unanswered is deleted as asked', async () => {
    const r = await router();
    r.pcpAssigns = () => 41000;
    r.policy['upnp-add'] = 'drop'; // applied, never answered: the request is given up after sending
    const m = await pcpWinsAfterUpnpAdd(r);
    expect(m.externalPort).toBe(41000);
    expect(ruleList(r)).toEqual(['41000->5000 PCP', '5000->5000 p2pcat']);
    await until(() => r.log.includes('upnp-delete'));
    expect(ruleList(r)).toEqual(['41000->5000 PCP']); // the winner's rule stays
    await m.close();
    expect(ruleList(r)).toEqual([]);
  });

  it('a same-port loser does not delete the winner’s rule while it is open; close removes it', async () => {
    const r = await router();
    r.policy['upnp-add'] = 'hold';
    const m = await pcpWinsAfterUpnpAdd(r);
    expect(m.externalPort).toBe(5000);
    // the loser's add took the winner's rule over, as miniupnpd does
    expect(ruleList(r)).toEqual(['5000->5000 p2pcat']);
    r.release('upnp-add');
    await new Promise((res) => setTimeout(res, 300));
    expect(r.log.filter((k) => k.endsWith('delete'))).toEqual([]);
    expect(ruleList(r)).toEqual(['5000->5000 p2pcat']);
    // the router refuses PCP's deletion of a rule now filed under UPnP; the loser's deletion removes it
    await m.close();
    expect(r.log.filter((k) => k.endsWith('delete'))).toEqual(['pcp-delete', 'upnp-delete']);
    expect(ruleList(r)).toEqual([]);
  });

  it('close() waits for a loser’s answer, deletes what it made, then the winner', async () => {
    const r = await router();
    r.pcpAssigns = () => 41000;
    r.policy['upnp-add'] = 'hold';
    const m = await pcpWinsAfterUpnpAdd(r);
    let closed = false;
    const closing = m.close().then(() => {
      closed = true;
    });
    await new Promise((res) => setTimeout(res, 200));
    expect(closed).toBe(false);
    expect(r.log.filter((k) => k.endsWith('delete'))).toEqual([]);
    r.release('upnp-add');
    await closing;
    expect(r.log.filter((k) => k.endsWith('delete'))).toEqual(['upnp-delete', 'pcp-delete']);
    expect(ruleList(r)).toEqual([]);
  });

  it('a same-port loser answering after the winner was closed is deleted', async () => {
    const r = await router();
    r.policy['upnp-add'] = 'hold';
    const m = await pcpWinsAfterUpnpAdd(r);
    // the close gives up waiting (its rule then lapses): the winner is closed, the loser unanswered
    await expect(m.close({ signal: AbortSignal.timeout(100) })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(ruleList(r)).toEqual(['5000->5000 p2pcat']);
    r.release('upnp-add');
    await until(() => r.rules.size === 0);
    expect(r.log.filter((k) => k.endsWith('delete'))).toEqual(['upnp-delete']);
  });

  it('a PCP loser whose MAP reached the router after UPnP won is deleted by its nonce', async () => {
    const r = await router();
    r.policy['pcp-map'] = 'drop';
    r.pcpAssigns = () => 42000;
    const m = await mapPort({ ...options(r), externalPort: 6000 }); // UPnP wins on 6000
    expect(m.method).toBe('upnp-igd');
    // PCP's MAP made 42000 (its answer lost): once given up it is deleted with lifetime 0
    expect(ruleList(r)).toEqual(['42000->5000 PCP', '6000->5000 p2pcat']);
    await m.close();
    expect(r.log.filter((k) => k.endsWith('delete'))).toEqual(['upnp-delete', 'pcp-delete']);
    expect(ruleList(r)).toEqual([]);
  });
});
