// Maps a UDP port on the home router, prints it, keeps it renewed, deletes it on Ctrl-C.
// Run from packages/upnp after `npx tsc -p tsconfig.json`:  node examples/map-port.mjs 40000
import { createSocket } from 'node:dgram';
import { mapPort, NoPortMappingServiceError } from '@p2pcat/upnp';

const internalPort = Number(process.argv[2] ?? 40000);
const socket = createSocket('udp4');
socket.bind(internalPort);
socket.on('message', (msg, from) => console.log(`from ${from.address}:${from.port}: ${msg}`));

try {
  const mapping = await mapPort({ internalPort, protocol: 'udp', lifetime: 3600 });
  console.log(
    `${mapping.method}: ${mapping.externalAddress}:${mapping.externalPort} -> local port ${internalPort}, ` +
      `expires ${new Date(mapping.expiresAt).toISOString()}${mapping.doubleNat ? ' (double NAT: not reachable from the Internet)' : ''}`,
  );
  const stop = async () => {
    await mapping.close().catch((e) => console.error(e.message)); // delete the mapping on the router
    socket.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (process.env.MAP_PORT_EXAMPLE_ONCE) await stop(); // used by the package's e2e test
} catch (err) {
  console.error(
    err instanceof NoPortMappingServiceError ? err.message : `port mapping failed: ${err.message}`,
  );
  socket.close();
  process.exitCode = 1;
}
