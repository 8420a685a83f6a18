// UPnP device description (UDA 1.1 §2.3): find the WAN connection service in nested devices and
// resolve its controlURL. Pure: takes the XML text and the LOCATION it came from.
import { UpnpDescriptionError } from '../errors.js';
import { child, children, parseXml, text, type XmlNode } from './xml.js';

/** Preferred first. */
export const WAN_SERVICE_TYPES = [
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
] as const;

/** The WAN connection service of an IGD that takes port mappings. */
export interface WanService {
  /** The service type URN (WANIPConnection:1 or :2, or WANPPPConnection:1). */
  serviceType: string;
  /** absolute http: URL */
  controlUrl: string;
  /** IGDv2 WANIPConnection:2 offers AddAnyPortMapping */
  supportsAddAny: boolean;
}

const MAX_DEVICE_DEPTH = 8;

function collectServices(
  device: XmlNode,
  depth: number,
  out: Array<{ type: string; control: string }>,
): void {
  if (depth > MAX_DEVICE_DEPTH) return;
  for (const s of children(child(device, 'serviceList'), 'service')) {
    const type = text(s, 'serviceType');
    const control = text(s, 'controlURL');
    if (type !== undefined && control !== undefined) out.push({ type, control });
  }
  for (const d of children(child(device, 'deviceList'), 'device')) collectServices(d, depth + 1, out);
}

/**
 * Parses a device description and returns the best WAN connection service. The control URL is
 * resolved against URLBase if present, else against LOCATION, and must stay on LOCATION's host:
 * a description may not send our SOAP requests to any other machine.
 */
export function findWanService(xml: string, location: string): WanService | UpnpDescriptionError {
  const doc = parseXml(xml);
  if (doc instanceof UpnpDescriptionError) return doc;
  const root = child(doc, 'root');
  if (root === undefined) return new UpnpDescriptionError('device description has no <root> element');
  const device = child(root, 'device');
  if (device === undefined) return new UpnpDescriptionError('device description has no <device> element');
  const found: Array<{ type: string; control: string }> = [];
  collectServices(device, 0, found);
  let base: URL;
  try {
    base = new URL(location);
  } catch {
    return new UpnpDescriptionError(`LOCATION is not a URL: ${location.slice(0, 100)}`);
  }
  const urlBase = text(root, 'URLBase');
  if (urlBase !== undefined && urlBase !== '') {
    try {
      base = new URL(urlBase, base);
    } catch {
      return new UpnpDescriptionError('URLBase is not a URL');
    }
  }
  for (const wanted of WAN_SERVICE_TYPES) {
    const s = found.find((f) => f.type === wanted);
    if (s === undefined) continue;
    let control: URL;
    try {
      control = new URL(s.control, base);
    } catch {
      return new UpnpDescriptionError(`controlURL is not a URL: ${s.control.slice(0, 100)}`);
    }
    if (control.protocol !== 'http:') return new UpnpDescriptionError('controlURL is not http:');
    if (control.hostname !== new URL(location).hostname) {
      return new UpnpDescriptionError(`controlURL host ${control.hostname} differs from the LOCATION host`);
    }
    return {
      serviceType: wanted,
      controlUrl: control.href,
      supportsAddAny: wanted.endsWith('WANIPConnection:2'),
    };
  }
  return new UpnpDescriptionError('no WANIPConnection or WANPPPConnection service in the device description');
}
