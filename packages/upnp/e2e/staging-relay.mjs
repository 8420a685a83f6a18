// Runs in the LAN host namespace between mapPort and the real miniupnpd, to stage the race that
// leaked a rule: PCP wins while UPnP's AddPortMapping is on its way to the router, and the router
// applies it later (a request already in the router's queue is applied even when the client gave
// up on it). It relays PCP / NAT-PMP (UDP) and UPnP (SSDP answer + HTTP) to the router:
//   - only the first PCP request is relayed until the stage is over (no retransmission and no
//     NAT-PMP fallback reaches the router meanwhile), and its answer is held;
//   - when AddPortMapping arrives, the held PCP answer goes to mapPort (PCP wins), and the
//     AddPortMapping reaches the router HOLD_MS later, whether mapPort still waits for it or not;
//   - from then on everything is relayed as is.
// Prints one JSON line per event: ready (its ports), pcp-released, add-applied.
//
// With the mode 'pmp-stray' it stages the other leak, inside the PCP / NAT-PMP path: PCP's answer
// is held until the NAT-PMP fallback's MAP has been applied by the router (which files the rule
// under NAT-PMP then, and refuses PCP's deletion of it); PCP then wins, and the NAT-PMP answers
// never reach mapPort. Prints pcp-released when it lets PCP win.
// Usage: node staging-relay.mjs <router LAN address> <our LAN address> [late-add | pmp-stray]
import { createSocket } from 'node:dgram';
import { createServer, request } from 'node:http';

const [router, self, mode = 'late-add'] = process.argv.slice(2);
const HOLD_MS = 800;
const say = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
let staging = true;
let heldGatewayAnswer;

// PCP / NAT-PMP: one upstream socket per client address and port
const gateway = createSocket('udp4');
const upstreams = new Map();
gateway.on('message', (msg, from) => {
  const key = `${from.address}:${from.port}`;
  let up = upstreams.get(key);
  if (mode === 'pmp-stray') {
    if (up === undefined) {
      up = createSocket('udp4');
      up.bind(0, self);
      up.on('message', (answer) => {
        const natPmpMap = answer[0] === 0 && (answer[1] === 129 || answer[1] === 130);
        if (staging && answer[0] === 2)
          heldGatewayAnswer = () => gateway.send(answer, from.port, from.address);
        else if (staging && natPmpMap) {
          staging = false; // the router filed the rule under NAT-PMP: PCP wins now
          heldGatewayAnswer?.();
          say({ event: 'pcp-released', held: heldGatewayAnswer !== undefined });
        } else if (!staging) gateway.send(answer, from.port, from.address);
      });
      upstreams.set(key, up);
      up.send(msg, 5351, router);
      return;
    }
    // while staging: the first NAT-PMP requests pass, PCP retransmissions do not
    if (!staging || msg[0] === 0) up.send(msg, 5351, router);
    return;
  }
  if (up === undefined) {
    up = createSocket('udp4');
    up.bind(0, self);
    up.on('message', (answer) => {
      if (staging) heldGatewayAnswer = () => gateway.send(answer, from.port, from.address);
      else gateway.send(answer, from.port, from.address);
    });
    upstreams.set(key, up);
  } else if (staging) return; // a retransmission or the NAT-PMP fallback: not while staging
  up.send(msg, 5351, router);
});

// HTTP: description and SOAP relayed to the router's port 5000
const http = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const action = String(req.headers.soapaction ?? '');
    const adding = staging && /#Add(Any)?PortMapping"?$/.test(action);
    if (adding) {
      staging = false;
      heldGatewayAnswer?.();
      say({ event: 'pcp-released', held: heldGatewayAnswer !== undefined });
      setTimeout(relay, HOLD_MS);
    } else relay();
  });
  const relay = () => {
    const body = Buffer.concat(chunks);
    const up = request(
      {
        host: router,
        port: 5000,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: `${router}:5000` },
        localAddress: self,
      },
      (upRes) => {
        const answer = [];
        upRes.on('data', (c) => answer.push(c));
        upRes.on('end', () => {
          let text = Buffer.concat(answer);
          if (req.url?.endsWith('.xml'))
            text = Buffer.from(text.toString().replaceAll(`http://${router}:5000`, `http://${self}:${port}`));
          const headers = { ...upRes.headers, 'content-length': String(text.length) };
          const clientGone = res.destroyed || res.socket?.destroyed === true;
          if (!clientGone) res.writeHead(upRes.statusCode ?? 500, headers).end(text);
          if (/#Add(Any)?PortMapping"?$/.test(String(req.headers.soapaction ?? '')))
            say({ event: 'add-applied', status: upRes.statusCode, clientGone });
        });
      },
    );
    up.on('error', (e) => res.destroy(e));
    up.end(body);
  };
});

// SSDP: answer M-SEARCH with our HTTP relay as the device's LOCATION
const ssdp = createSocket('udp4');
ssdp.on('message', (_msg, from) => {
  const reply = `HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nUSN: uuid:relay\r\nLOCATION: http://${self}:${port}/rootDesc.xml\r\n\r\n`;
  ssdp.send(reply, from.port, from.address);
});

let port = 0;
await new Promise((r) => gateway.bind(0, self, r));
await new Promise((r) => ssdp.bind(0, self, r));
await new Promise((r) => http.listen(0, self, r));
port = http.address().port;
say({ event: 'ready', gatewayPort: gateway.address().port, ssdpPort: ssdp.address().port, httpPort: port });
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
