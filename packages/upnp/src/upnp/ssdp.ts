// SSDP discovery messages (UPnP Device Architecture 1.1 §1.3.2, §1.3.3). Pure functions.

/** SSDP multicast address for IPv4. */
export const SSDP_ADDRESS = '239.255.255.250';
/** SSDP port. */
export const SSDP_PORT = 1900;

/** Search targets for an Internet Gateway Device, most specific service types included. */
export const IGD_SEARCH_TARGETS = [
  'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
  'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
] as const;

/** UDA 1.1 §1.3.2: MX is 1..5 seconds. */
export function encodeMSearch(searchTarget: string, mxSeconds: number): Uint8Array {
  const mx = Math.min(5, Math.max(1, Math.round(mxSeconds)));
  const text =
    'M-SEARCH * HTTP/1.1\r\n' +
    `HOST: ${SSDP_ADDRESS}:${SSDP_PORT}\r\n` +
    'MAN: "ssdp:discover"\r\n' +
    `MX: ${mx}\r\n` +
    `ST: ${searchTarget}\r\n\r\n`;
  return new TextEncoder().encode(text);
}

/** A parsed answer to an M-SEARCH. */
export interface SsdpResponse {
  /** LOCATION: the URL of the device description. */
  location: string;
  /** ST: the search target it answers. */
  searchTarget: string;
  /** USN: the unique service name. */
  usn: string;
  /** SERVER: the device's operating system and UPnP version, as it says. */
  server: string;
}

const MAX_SSDP_RESPONSE = 8192;

/**
 * Parses an M-SEARCH answer. Returns undefined for anything that is not a well-formed
 * `HTTP/1.1 200` answer with an http: LOCATION.
 */
export function parseSsdpResponse(bytes: Uint8Array): SsdpResponse | undefined {
  if (bytes.length > MAX_SSDP_RESPONSE) return undefined;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const lines = text.split(/\r?\n/);
  const status = lines[0] ?? '';
  if (!/^HTTP\/1\.[01] 200\b/i.test(status)) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const location = headers.get('location');
  if (location === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:') return undefined;
  return {
    location: url.href,
    searchTarget: headers.get('st') ?? '',
    usn: headers.get('usn') ?? '',
    server: headers.get('server') ?? '',
  };
}
