// SOAP 1.1 control messages for the WAN connection service (UDA 1.1 §3.2). Pure functions.
import { UpnpDescriptionError, UpnpSoapError } from '../errors.js';
import { child, isNode, parseXml } from './xml.js';

function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** An encoded SOAP request. */
export interface SoapRequest {
  /** The XML envelope. */
  body: string;
  /** value of the SOAPAction header, quotes included */
  soapAction: string;
}

/**
 * Encodes a SOAP action of `serviceType` with its arguments (UPnP Device Architecture §3.2.1);
 * values are XML-escaped.
 */
export function encodeSoapRequest(
  serviceType: string,
  action: string,
  args: ReadonlyArray<readonly [string, string | number]>,
): SoapRequest {
  const argXml = args.map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`).join('');
  const body =
    '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>' +
    `<u:${action} xmlns:u="${escapeXml(serviceType)}">${argXml}</u:${action}>` +
    '</s:Body></s:Envelope>\r\n';
  return { body, soapAction: `"${serviceType}#${action}"` };
}

/**
 * Decodes a SOAP answer into the output arguments of the action (all strings), or the UPnP error
 * of a fault, or a decode error.
 */
export function decodeSoapResponse(
  action: string,
  xml: string,
): Record<string, string> | UpnpSoapError | UpnpDescriptionError {
  const doc = parseXml(xml);
  if (doc instanceof UpnpDescriptionError) return doc;
  const body = child(child(doc, 'Envelope'), 'Body');
  if (body === undefined) return new UpnpDescriptionError(`${action} answer has no SOAP Body`);
  const fault = child(body, 'Fault');
  if (fault !== undefined) {
    const upnpError = child(child(fault, 'detail'), 'UPnPError');
    const codeText = upnpError?.errorCode;
    const code = typeof codeText === 'string' && /^\d{1,4}$/.test(codeText) ? Number(codeText) : 0;
    const description = upnpError?.errorDescription;
    return new UpnpSoapError(
      action,
      code,
      typeof description === 'string' ? description.slice(0, 200) : 'SOAP fault',
    );
  }
  const response = body[`${action}Response`];
  const node = Array.isArray(response) ? response[0] : response;
  // An action without output arguments answers an empty element, which parses as ''.
  if (node === '') return {};
  if (!isNode(node)) return new UpnpDescriptionError(`${action} answer has no ${action}Response element`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(node)) {
    if (typeof v === 'string') out[k] = v;
    else return new UpnpDescriptionError(`${action} answer argument ${k} is not text`);
  }
  return out;
}
