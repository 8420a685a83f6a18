// Default gateway from Linux /proc/net/route (pure parser).
import { formatIPv4 } from './address.js';

export interface DefaultRoute {
  interfaceName: string;
  gateway: string;
  metric: number;
}

/**
 * Parses the text of /proc/net/route: whitespace-separated columns Iface, Destination, Gateway,
 * Flags, RefCnt, Use, Metric, Mask, ...; addresses are hex in host (little-endian) byte order.
 * Returns the default routes (destination and mask 0, RTF_GATEWAY set), lowest metric first.
 */
export function parseDefaultRoutes(text: string): DefaultRoute[] {
  const routes: DefaultRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8) continue;
    const [iface, dest, gw, flags, , , metric, mask] = cols;
    if (iface === undefined || dest === undefined || gw === undefined || flags === undefined) continue;
    if (!/^[0-9A-Fa-f]{8}$/.test(dest) || !/^[0-9A-Fa-f]{8}$/.test(gw)) continue;
    const flagBits = Number.parseInt(flags, 16);
    const RTF_UP = 0x1;
    const RTF_GATEWAY = 0x2;
    if (Number.parseInt(dest, 16) !== 0 || Number.parseInt(mask ?? '1', 16) !== 0) continue;
    if ((flagBits & RTF_UP) === 0 || (flagBits & RTF_GATEWAY) === 0) continue;
    const le = Number.parseInt(gw, 16) >>> 0;
    const be =
      (((le & 0xff) << 24) | (((le >>> 8) & 0xff) << 16) | (((le >>> 16) & 0xff) << 8) | (le >>> 24)) >>> 0;
    routes.push({ interfaceName: iface, gateway: formatIPv4(be), metric: Number(metric ?? 0) || 0 });
  }
  return routes.sort((a, b) => a.metric - b.metric);
}
