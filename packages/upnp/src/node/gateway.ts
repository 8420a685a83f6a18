// Node adapter: the default gateway (from /proc/net/route) and our address towards it.
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { PortMappingError } from '../errors.js';
import { parseDefaultRoutes } from '../route.js';

export async function defaultGateway(): Promise<string> {
  let text: string;
  try {
    text = await readFile('/proc/net/route', 'utf8');
  } catch {
    throw new PortMappingError(
      'no-gateway',
      'cannot read /proc/net/route to find the default gateway; pass `gateway`',
    );
  }
  const route = parseDefaultRoutes(text)[0];
  if (route === undefined)
    throw new PortMappingError(
      'no-gateway',
      'no IPv4 default route, so no gateway to ask for a port mapping',
    );
  return route.gateway;
}

/** The local IPv4 address the kernel would use to reach host (UDP connect, nothing sent). */
export function localAddressTowards(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', (err) => {
      s.close();
      reject(new PortMappingError('no-gateway', `no route to gateway ${host}: ${err.message}`));
    });
    s.connect(port, host, () => {
      const address = s.address().address;
      s.close();
      resolve(address);
    });
  });
}
