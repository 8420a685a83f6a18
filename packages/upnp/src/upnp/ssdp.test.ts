import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeMSearch, parseSsdpResponse } from './ssdp.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('SSDP', () => {
  it('encodes M-SEARCH with MAN, MX (clamped to 1..5) and ST', () => {
    const text = new TextDecoder().decode(
      encodeMSearch('urn:schemas-upnp-org:device:InternetGatewayDevice:2', 9),
    );
    expect(text).toBe(
      'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 5\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n\r\n',
    );
  });

  it('parses an answer, headers case-insensitive', () => {
    const r = parseSsdpResponse(
      enc(
        'HTTP/1.1 200 OK\r\nCache-Control: max-age=120\r\nst: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nUSN: uuid:x::y\r\nlocation: http://192.168.1.1:5000/rootDesc.xml\r\nServer: a\r\n\r\n',
      ),
    );
    expect(r).toEqual({
      location: 'http://192.168.1.1:5000/rootDesc.xml',
      searchTarget: 'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
      usn: 'uuid:x::y',
      server: 'a',
    });
  });

  it('ignores non-200, missing or non-http LOCATION, and oversize answers', () => {
    expect(parseSsdpResponse(enc('NOTIFY * HTTP/1.1\r\nLOCATION: http://a/\r\n\r\n'))).toBeUndefined();
    expect(parseSsdpResponse(enc('HTTP/1.1 200 OK\r\nST: x\r\n\r\n'))).toBeUndefined();
    expect(parseSsdpResponse(enc('HTTP/1.1 200 OK\r\nLOCATION: file:///etc/passwd\r\n\r\n'))).toBeUndefined();
    expect(parseSsdpResponse(enc('HTTP/1.1 200 OK\r\nLOCATION: ::::\r\n\r\n'))).toBeUndefined();
    expect(
      parseSsdpResponse(enc(`HTTP/1.1 200 OK\r\nLOCATION: http://a/${'x'.repeat(9000)}\r\n\r\n`)),
    ).toBeUndefined();
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        parseSsdpResponse(b);
      }),
      { numRuns: 1000, seed: 1900 },
    );
  });
});
