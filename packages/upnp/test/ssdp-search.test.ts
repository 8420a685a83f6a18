// ssdpSearch over loopback: every search target sent, answers de-duplicated, deadline kept.
import { describe, expect, it } from 'vitest';
import { ssdpSearch } from '../src/node/ssdp.js';
import { IGD_SEARCH_TARGETS } from '../src/upnp/ssdp.js';
import { fakeUdpServer } from './fakes.js';

describe('ssdpSearch', () => {
  it('sends M-SEARCH for every IGD target with MX, keeps each LOCATION once, ends at the deadline', async () => {
    const responder = await fakeUdpServer((_msg, reply) => {
      const answer = new TextEncoder().encode(
        'HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nUSN: uuid:a\r\nLOCATION: http://127.0.0.1:1/d.xml\r\n\r\n',
      );
      reply(answer);
      reply(answer);
      reply(new TextEncoder().encode('garbage'));
    });
    try {
      const started = Date.now();
      const found = await ssdpSearch({
        timeoutMs: 300,
        mx: 2,
        target: { address: '127.0.0.1', port: responder.port },
        interfaces: [{ address: '127.0.0.1', netmask: '255.0.0.0' }],
      });
      const elapsed = Date.now() - started;
      expect(found).toEqual([
        {
          location: 'http://127.0.0.1:1/d.xml',
          searchTarget: 'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
          usn: 'uuid:a',
          localAddress: '127.0.0.1',
        },
      ]);
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(1500);
      const sent = responder.received.map((b) => new TextDecoder().decode(b));
      expect(sent).toHaveLength(IGD_SEARCH_TARGETS.length);
      for (const st of IGD_SEARCH_TARGETS) expect(sent.some((m) => m.includes(`ST: ${st}\r\n`))).toBe(true);
      expect(sent.every((m) => m.startsWith('M-SEARCH * HTTP/1.1\r\n') && m.includes('MX: 2\r\n'))).toBe(
        true,
      );
    } finally {
      await responder.close();
    }
  });

  it('returns at once with no interface', async () => {
    expect(await ssdpSearch({ timeoutMs: 5000, interfaces: [] })).toEqual([]);
  });
});
