// Runs inside the LAN host namespace: maps a UDP port with one method and obeys line commands
// on stdin (renew, readback, close, exit), answering one JSON line each on stdout. Datagrams
// arriving on the internal port are reported as {event:'datagram'}.
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { findInternetGatewayDevice, mapPort } from '../dist/index.js';

const [method, internalPortText, lifetimeText, auto] = process.argv.slice(2);
const lifetime = Number(lifetimeText ?? 120);
const internalPort = Number(internalPortText);
const say = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const info = (m) => ({
  method: m.method,
  externalAddress: m.externalAddress,
  externalPort: m.externalPort,
  lifetime: m.lifetime,
  expiresAt: m.expiresAt,
  doubleNat: m.doubleNat,
  gateway: m.gateway,
});

const socket = createSocket('udp4');
await new Promise((r) => socket.bind(internalPort, r));
socket.on('message', (msg, rinfo) => say({ event: 'datagram', data: msg.toString(), from: rinfo.address }));

let mapping;
try {
  mapping = await mapPort({
    internalPort,
    protocol: 'udp',
    lifetime,
    methods: method === 'all' ? undefined : [method],
    timeoutMs: 3000,
    // testing hooks (gateway, gatewayPort, ssdpTarget) for a staged run, as JSON
    ...JSON.parse(process.env.MAP_PORT_TEST_OPTIONS ?? '{}'),
    autoRenew: auto === 'auto',
    onRenew: (m) => say({ event: 'renewed-auto', ...info(m) }),
    onRenewError: (e) => say({ event: 'error', name: e.name, code: e.code, message: e.message }),
  });
  say({ event: 'mapped', ...info(mapping) });
} catch (e) {
  say({ event: 'error', name: e.name, code: e.code, message: e.message });
  process.exit(1);
}

for await (const line of createInterface({ input: process.stdin })) {
  try {
    if (line === 'renew') {
      await mapping.renew();
      say({ event: 'renewed', ...info(mapping) });
    } else if (line === 'readback') {
      // GetSpecificPortMappingEntry sees mappings made by any of the three protocols.
      const igd = await findInternetGatewayDevice({ timeoutMs: 2000 });
      const entry = await igd.getSpecificPortMappingEntry(mapping.externalPort, 'udp');
      say({ event: 'readback', ...entry });
    } else if (line === 'close') {
      await mapping.close();
      say({ event: 'closed' });
    } else if (line === 'exit') {
      break;
    }
  } catch (e) {
    say({ event: 'error', name: e.name, code: e.code, upnpCode: e.upnpCode, message: e.message });
  }
}
socket.close();
process.exit(0);
