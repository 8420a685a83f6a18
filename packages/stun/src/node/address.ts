import { isIP } from 'node:net';
import type { TransportAddress } from '../codec/index.js';
import { StunError } from '../errors.js';

/**
 * A TransportAddress from what Node reports (`rinfo`, `socket.address()`). An IPv4-mapped IPv6
 * address from a dual-stack socket ("::ffff:192.0.2.1") becomes the IPv4 address it carries.
 */
export function transportAddressFromNode(address: string, port: number): TransportAddress {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return { family: 'IPv4', address: mapped[1], port };
  const zone = address.indexOf('%');
  const bare = zone >= 0 ? address.slice(0, zone) : address;
  return isIP(bare) === 6
    ? { family: 'IPv6', address: bare.toLowerCase(), port }
    : { family: 'IPv4', address: bare, port };
}

/** A server address that is not HOST:PORT (bad port, empty host, stray characters). */
export class HostPortError extends StunError<'bad-host-port'> {
  /** The text that was refused. */
  readonly text: string;
  constructor(text: string, why: string) {
    super(
      'bad-host-port',
      `"${text}" is not a server address (${why}): write HOST:PORT, e.g. stun.example.org:3478, 192.0.2.1:3478 or [2001:db8::1]:3478`,
    );
    this.name = 'HostPortError';
    this.text = text;
  }
}

/**
 * Parses "192.0.2.1:3478", "[2001:db8::1]:3478", "host:3478", a bare IPv6 address, or a bare host
 * (port `defaultPort`); a "stun:" / "stuns:" scheme is skipped. Returns the host text (a name is
 * not resolved here, see resolveServerAddresses) and the port 1-65535. Throws HostPortError.
 */
export function parseHostPort(
  text: string,
  defaultPort = 3478,
): {
  /** The host: an IP address or a name, brackets removed. */
  host: string;
  /** The port, 1..65535. */
  port: number;
} {
  return splitHostPort(text, defaultPort, 1);
}

function splitHostPort(text: string, defaultPort: number, minPort: number): { host: string; port: number } {
  const trimmed = text.trim().replace(/^stuns?:/i, '');
  let host: string;
  let portText: string | undefined;
  const bracket = /^\[([^\]]*)\](?::([^:]*))?$/.exec(trimmed);
  if (trimmed.startsWith('[')) {
    if (!bracket) throw new HostPortError(text, 'expected [IPv6]:PORT');
    host = bracket[1] ?? '';
    portText = bracket[2];
    if (isIP(host.split('%')[0] ?? '') !== 6)
      throw new HostPortError(text, 'not an IPv6 address in brackets');
  } else if (isIP(trimmed.split('%')[0] ?? '') === 6) {
    host = trimmed;
  } else {
    const colon = trimmed.lastIndexOf(':');
    host = colon >= 0 ? trimmed.slice(0, colon) : trimmed;
    portText = colon >= 0 ? trimmed.slice(colon + 1) : undefined;
    if (host === '') throw new HostPortError(text, 'no host');
    if (isIP(host) === 0 && !/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/.test(host))
      throw new HostPortError(text, 'not a host name or IP address');
  }
  const port =
    portText === undefined ? defaultPort : /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!Number.isInteger(port) || port < minPort || port > 65535)
    throw new HostPortError(text, `the port must be ${minPort}-65535`);
  return { host, port };
}

/** Parses an IP-literal "ADDR:PORT" (port 0-65535: a listen address) into a TransportAddress (no DNS). */
export function parseTransportAddress(text: string, defaultPort = 3478): TransportAddress {
  const { host, port } = splitHostPort(text, defaultPort, 0);
  if (isIP(host) === 0)
    throw new Error(`"${text}" needs an IP address, not a host name, e.g. 192.0.2.1:3478`);
  return transportAddressFromNode(host, port);
}
