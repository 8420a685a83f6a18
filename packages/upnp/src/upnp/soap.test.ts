import { describe, expect, it } from 'vitest';
import { UpnpDescriptionError, UpnpSoapError } from '../errors.js';
import { decodeSoapResponse, encodeSoapRequest } from './soap.js';

const st = 'urn:schemas-upnp-org:service:WANIPConnection:1';
const envelope = (body: string): string =>
  `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>${body}</s:Body></s:Envelope>`;
const fault = (code: string, desc: string): string =>
  envelope(
    `<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>${code}</errorCode><errorDescription>${desc}</errorDescription></UPnPError></detail></s:Fault>`,
  );

describe('SOAP', () => {
  it('encodes an action with escaped arguments and the SOAPAction header', () => {
    const r = encodeSoapRequest(st, 'AddPortMapping', [
      ['NewExternalPort', 4000],
      ['NewPortMappingDescription', 'a<b>&"c"'],
    ]);
    expect(r.soapAction).toBe(`"${st}#AddPortMapping"`);
    expect(r.body).toContain(`<u:AddPortMapping xmlns:u="${st}"><NewExternalPort>4000</NewExternalPort>`);
    expect(r.body).toContain(
      '<NewPortMappingDescription>a&lt;b&gt;&amp;&quot;c&quot;</NewPortMappingDescription>',
    );
  });

  it('decodes output arguments', () => {
    const xml = envelope(
      `<u:GetExternalIPAddressResponse xmlns:u="${st}"><NewExternalIPAddress>203.0.113.1</NewExternalIPAddress></u:GetExternalIPAddressResponse>`,
    );
    expect(decodeSoapResponse('GetExternalIPAddress', xml)).toEqual({ NewExternalIPAddress: '203.0.113.1' });
    const empty = envelope(`<u:AddPortMappingResponse xmlns:u="${st}"/>`);
    expect(decodeSoapResponse('AddPortMapping', empty)).toEqual({});
  });

  it('turns faults into UpnpSoapError with the UPnP code', () => {
    for (const [code, name] of [
      [718, 'ConflictInMappingEntry'],
      [725, 'OnlyPermanentLeasesSupported'],
      [606, 'Action not authorized'],
    ] as const) {
      const e = decodeSoapResponse('AddPortMapping', fault(String(code), name));
      expect(e).toBeInstanceOf(UpnpSoapError);
      expect((e as UpnpSoapError).upnpCode).toBe(code);
      expect((e as UpnpSoapError).message).toContain(name);
    }
    const weird = decodeSoapResponse('AddPortMapping', fault('<x>1</x>', 'y'));
    expect((weird as UpnpSoapError).upnpCode).toBe(0);
  });

  it('gives typed errors for the wrong shapes', () => {
    for (const xml of [
      '',
      '<a>',
      envelope(''),
      envelope('<u:OtherResponse/>'),
      envelope(
        '<u:GetExternalIPAddressResponse><NewExternalIPAddress><x>1</x></NewExternalIPAddress></u:GetExternalIPAddressResponse>',
      ),
    ]) {
      expect(decodeSoapResponse('GetExternalIPAddress', xml)).toBeInstanceOf(UpnpDescriptionError);
    }
  });
});
