import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UpnpDescriptionError } from '../errors.js';
import { findWanService } from './description.js';

const miniupnpd = readFileSync(
  new URL('../../test/fixtures/miniupnpd-rootDesc.xml', import.meta.url),
  'utf8',
);
const location = 'http://192.168.77.1:5000/rootDesc.xml';

function describeXml(inner: string, urlBase = ''): string {
  return `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0">${urlBase}<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>${inner}</device></root>`;
}
const wanIp1 = (control: string): string =>
  `<deviceList><device><deviceList><device><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType><controlURL>${control}</controlURL></service></serviceList></device></deviceList></device></deviceList>`;

describe('device description', () => {
  it('finds WANIPConnection:2 two devices deep in a real miniupnpd description', () => {
    expect(findWanService(miniupnpd, location)).toEqual({
      serviceType: 'urn:schemas-upnp-org:service:WANIPConnection:2',
      controlUrl: 'http://192.168.77.1:5000/ctl/IPConn',
      supportsAddAny: true,
    });
  });

  it('resolves controlURL against URLBase when present, else LOCATION', () => {
    const withBase = describeXml(wanIp1('ctl/x'), '<URLBase>http://192.168.77.1:49000/igd/</URLBase>');
    expect(findWanService(withBase, location)).toMatchObject({
      controlUrl: 'http://192.168.77.1:49000/igd/ctl/x',
      supportsAddAny: false,
    });
    expect(findWanService(describeXml(wanIp1('/a/b')), location)).toMatchObject({
      controlUrl: 'http://192.168.77.1:5000/a/b',
    });
  });

  it('prefers WANIPConnection over WANPPPConnection', () => {
    const ppp =
      '<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType><controlURL>/ppp</controlURL></service></serviceList>';
    expect(findWanService(describeXml(ppp + wanIp1('/ip')), location)).toMatchObject({
      controlUrl: 'http://192.168.77.1:5000/ip',
    });
    expect(findWanService(describeXml(ppp), location)).toMatchObject({
      controlUrl: 'http://192.168.77.1:5000/ppp',
    });
  });

  it('refuses a controlURL or URLBase that points at another host', () => {
    expect(findWanService(describeXml(wanIp1('http://198.51.100.9/ctl')), location)).toBeInstanceOf(
      UpnpDescriptionError,
    );
    const base = describeXml(wanIp1('/ctl'), '<URLBase>http://10.0.0.9/</URLBase>');
    expect(findWanService(base, location)).toBeInstanceOf(UpnpDescriptionError);
    expect(findWanService(describeXml(wanIp1('file:///etc/passwd')), location)).toBeInstanceOf(
      UpnpDescriptionError,
    );
  });

  it('gives typed errors for malformed XML, wrong shapes, DOCTYPE and missing services', () => {
    const bad = [
      '',
      'not xml at all',
      '<root><device>',
      '<root><device><serviceList>text</serviceList></device></root>',
      '<root><device><serviceList><service><serviceType><x/></serviceType><controlURL>/c</controlURL></service></serviceList></device></root>',
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><root>&b;</root>',
      '<other/>',
      describeXml(''),
      '<root><device>'.repeat(50) + '</device></root>'.repeat(50),
    ];
    for (const xml of bad)
      expect(findWanService(xml, location), xml.slice(0, 60)).toBeInstanceOf(UpnpDescriptionError);
  });

  it('stops at a bounded device depth', () => {
    const deep = (n: number): string =>
      n === 0 ? wanIp1('/deep') : `<deviceList><device>${deep(n - 1)}</device></deviceList>`;
    expect(findWanService(describeXml(deep(20)), location)).toBeInstanceOf(UpnpDescriptionError);
  });

  it('never throws on arbitrary text or mutated descriptions', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        expect(findWanService(s, location)).toBeTypeOf('object');
      }),
      { numRuns: 500, seed: 1 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: miniupnpd.length - 1 }), fc.string({ maxLength: 8 }), (i, s) => {
        const mutated = miniupnpd.slice(0, i) + s + miniupnpd.slice(i + s.length);
        expect(findWanService(mutated, location)).toBeTypeOf('object');
      }),
      { numRuns: 500, seed: 2 },
    );
  });
});
