import { isIP } from 'node:net';
import type { TransportAddress } from '../codec/index.js';

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

/**
 * Parses "192.0.2.1:3478", "[2001:db8::1]:3478", "host:3478" or a bare host (port `defaultPort`).
 * Returns the host text (unresolved) and port; throws a one-line error on nonsense.
 */
export function parseHostPort(text: string, defaultPort = 3478): { host: string; port: number } {
  const trimmed = text.trim().replace(/^stuns?:/i, '');
  let host: string;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (bracket) {
    host = bracket[1] ?? '';
    portText = bracket[2];
  } else if (isIP(trimmed) === 6) {
    host = trimmed;
  } else {
    const colon = trimmed.lastIndexOf(':');
    host = colon >= 0 ? trimmed.slice(0, colon) : trimmed;
    portText = colon >= 0 ? trimmed.slice(colon + 1) : undefined;
  }
  const port = portText === undefined ? defaultPort : Number(portText);
  if (host === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(
      `"${text}" is not an address: write HOST:PORT, e.g. 192.0.2.1:3478 or [2001:db8::1]:3478`,
    );
  }
  return { host, port };
}

/** Parses an IP-literal "ADDR:PORT" into a TransportAddress (no DNS). */
export function parseTransportAddress(text: string, defaultPort = 3478): TransportAddress {
  const { host, port } = parseHostPort(text, defaultPort);
  if (isIP(host) === 0)
    throw new Error(`"${text}" needs an IP address, not a host name, e.g. 192.0.2.1:3478`);
  return transportAddressFromNode(host, port);
}
