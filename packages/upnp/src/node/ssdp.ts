// SSDP M-SEARCH from every IPv4 interface (node:dgram).
import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { sameSubnet } from '../address.js';
import {
  encodeMSearch,
  IGD_SEARCH_TARGETS,
  parseSsdpResponse,
  SSDP_ADDRESS,
  SSDP_PORT,
} from '../upnp/ssdp.js';

export interface LocalInterface {
  address: string;
  netmask: string;
}

export interface DiscoveredDevice {
  location: string;
  searchTarget: string;
  usn: string;
  /** the local interface the answer arrived on (our address for NewInternalClient) */
  localAddress: string;
}

export interface SsdpSearchOptions {
  /** overall deadline in ms (answers after it are ignored) */
  timeoutMs: number;
  /** MX header in seconds (1..5) */
  mx?: number;
  signal?: AbortSignal | undefined;
  /** default: every non-internal IPv4 interface */
  interfaces?: LocalInterface[];
  /** default 239.255.255.250:1900; tests point this at a unicast responder */
  target?: { address: string; port: number };
  /** called for each answer refused by the LOCATION check */
  onRejected?: (location: string, reason: string) => void;
  /** called as each new device is found */
  onDevice?: (device: DiscoveredDevice) => void;
}

export function ipv4Interfaces(): LocalInterface[] {
  const out: LocalInterface[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? [])
      if (i.family === 'IPv4' && !i.internal) out.push({ address: i.address, netmask: i.netmask });
  }
  return out;
}

/**
 * Sends M-SEARCH for IGD:1/:2 and the WAN connection services on every interface, collects
 * answers until the deadline, and keeps each LOCATION once. A LOCATION whose host is not on the
 * subnet of the interface the answer arrived on is refused: we never fetch arbitrary URLs.
 */
export function ssdpSearch(options: SsdpSearchOptions): Promise<DiscoveredDevice[]> {
  const interfaces = options.interfaces ?? ipv4Interfaces();
  const target = options.target ?? { address: SSDP_ADDRESS, port: SSDP_PORT };
  const found = new Map<string, DiscoveredDevice>();
  const sockets: Socket[] = [];
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', finish);
      for (const s of sockets) s.close();
      resolve([...found.values()]);
    };
    const timer = setTimeout(finish, options.timeoutMs);
    if (options.signal?.aborted) return finish();
    options.signal?.addEventListener('abort', finish, { once: true });
    for (const iface of interfaces) {
      const socket = createSocket({ type: 'udp4', reuseAddr: false });
      sockets.push(socket);
      socket.on('error', () => {
        /* an interface that cannot send is skipped */
      });
      socket.on('message', (msg) => {
        if (done) return;
        const answer = parseSsdpResponse(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
        if (answer === undefined) return;
        if (found.has(answer.location)) return;
        const host = new URL(answer.location).hostname;
        if (!sameSubnet(host, iface.address, iface.netmask)) {
          options.onRejected?.(
            answer.location,
            `LOCATION host ${host} is not on ${iface.address}/${iface.netmask}`,
          );
          return;
        }
        const device = {
          location: answer.location,
          searchTarget: answer.searchTarget,
          usn: answer.usn,
          localAddress: iface.address,
        };
        found.set(answer.location, device);
        options.onDevice?.(device);
      });
      socket.bind(0, iface.address, () => {
        if (done) return;
        try {
          socket.setMulticastInterface(iface.address);
          socket.setMulticastTTL(2);
        } catch {
          /* unicast target or no multicast on this interface */
        }
        for (const st of IGD_SEARCH_TARGETS)
          socket.send(encodeMSearch(st, options.mx ?? 1), target.port, target.address);
      });
    }
    if (interfaces.length === 0) finish();
  });
}
