// STUN and TURN server URLs as users write them: "host:port", "[2001:db8::1]:3478",
// "stun:host:port", "turn:user:pass@host:3478?transport=tcp", "turns:user:pass@host:5349"
// (RFC 7064 / RFC 7065 with the credentials in the user-info part, as many tools accept them).
import { Address4, Address6 } from 'ip-address';

export interface StunServerUrl {
  host: string;
  port: number;
  url: string;
}

export interface TurnServerUrl {
  host: string;
  port: number;
  transport: 'udp' | 'tcp' | 'tls';
  username: string;
  password: string;
  url: string;
}

/** A STUN or TURN server URL that cannot be parsed; the message never shows the password. */
export class ServerUrlError extends Error {
  constructor(url: string, why: string) {
    super(`bad server URL "${redactUrl(url)}": ${why}`); // never the password
    this.name = 'ServerUrlError';
  }
}

function splitHostPort(text: string, defaultPort: number, url: string): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) throw new ServerUrlError(url, 'missing "]"');
    host = text.slice(1, end);
    const rest = text.slice(end + 1);
    if (rest && !rest.startsWith(':')) throw new ServerUrlError(url, 'expected ":port" after "]"');
    portText = rest ? rest.slice(1) : undefined;
  } else if (Address6.isValid(text) && text.includes('::')) {
    host = text; // a bare IPv6 address without port
  } else {
    const i = text.lastIndexOf(':');
    host = i >= 0 ? text.slice(0, i) : text;
    portText = i >= 0 ? text.slice(i + 1) : undefined;
  }
  if (!host) throw new ServerUrlError(url, 'no host');
  if (!Address4.isValid(host) && !Address6.isValid(host) && !/^[A-Za-z0-9.-]+$/.test(host)) {
    throw new ServerUrlError(url, 'not a host name or IP address');
  }
  const port = portText === undefined || portText === '' ? defaultPort : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ServerUrlError(url, 'port must be 1-65535');
  return { host, port };
}

/** Parses a STUN server ("stun:host:port", "host:port" or "host"; port 3478 by default). */
export function parseStunServer(url: string): StunServerUrl {
  const text = url.trim().replace(/^stuns?:/i, '');
  return { ...splitHostPort(text, 3478, url), url };
}

/** Parses a TURN server URL ("turn:" or "turns:", with user name and password, and ?transport=). */
export function parseTurnServer(url: string): TurnServerUrl {
  const m = /^(turns?):(.*)$/i.exec(url.trim());
  if (!m) throw new ServerUrlError(url, 'must start with turn: or turns:');
  const secure = m[1]!.toLowerCase() === 'turns';
  let rest = m[2]!.replace(/^\/\//, '');
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const at = rest.lastIndexOf('@');
  if (at < 0) throw new ServerUrlError(url, 'needs credentials: turn:USER:PASS@HOST:PORT');
  const userInfo = rest.slice(0, at);
  const colon = userInfo.indexOf(':');
  if (colon < 0) throw new ServerUrlError(url, 'needs USER:PASS before "@"');
  const username = decodeUserInfo(userInfo.slice(0, colon), url);
  const password = decodeUserInfo(userInfo.slice(colon + 1), url);
  const params = new URLSearchParams(query);
  const t = params.get('transport')?.toLowerCase();
  if (t && t !== 'udp' && t !== 'tcp') throw new ServerUrlError(url, 'transport must be udp or tcp');
  const transport: TurnServerUrl['transport'] = secure ? 'tls' : t === 'tcp' ? 'tcp' : 'udp';
  if (secure && t === 'udp') throw new ServerUrlError(url, 'turns: runs over TLS, not UDP');
  return {
    ...splitHostPort(rest.slice(at + 1), secure ? 5349 : 3478, url),
    transport,
    username,
    password,
    url,
  };
}

/** Percent-decoding of the user-info part; a broken escape ("%E0%A4%A") is a ServerUrlError. */
function decodeUserInfo(text: string, url: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ServerUrlError(url, 'bad %-escape in USER:PASS');
  }
}

/** The URL without its password, for tables and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(turns?:)([^:@]*):[^@]*@/i, '$1$2:***@');
}
