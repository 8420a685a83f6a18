// Fake gateways on loopback for hostile-input tests: a UDP server (NAT-PMP / PCP), an SSDP
// responder and an HTTP IGD whose answers each test scripts.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUdp {
  port: number;
  received: Uint8Array[];
  close(): Promise<void>;
}

export async function fakeUdpServer(
  onMessage: (msg: Uint8Array, reply: (b: Uint8Array) => void, rinfo: RemoteInfo) => void,
  address = '127.0.0.1',
): Promise<FakeUdp> {
  const socket: Socket = createSocket('udp4');
  const received: Uint8Array[] = [];
  socket.on('message', (msg, rinfo) => {
    const bytes = new Uint8Array(msg);
    received.push(bytes);
    onMessage(bytes, (b) => socket.send(b, rinfo.port, rinfo.address), rinfo);
  });
  await new Promise<void>((r) => socket.bind(0, address, r));
  return {
    port: socket.address().port,
    received,
    close: () => new Promise((r) => socket.close(() => r())),
  };
}

/** Answers every M-SEARCH with the given LOCATION. */
export function ssdpResponder(location: () => string): Promise<FakeUdp> {
  return fakeUdpServer((_msg, reply) => {
    reply(
      new TextEncoder().encode(
        `HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nUSN: uuid:fake\r\nLOCATION: ${location()}\r\n\r\n`,
      ),
    );
  });
}

export interface FakeHttp {
  port: number;
  url: string;
  hits: string[];
  close(): Promise<void>;
}

export async function fakeHttp(
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
  address = '127.0.0.1',
): Promise<FakeHttp> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      hits.push(`${req.method} ${req.url} ${String(req.headers.soapaction ?? '')}`);
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, address, r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${address}:${port}`,
    hits,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const WANIP = (v: 1 | 2): string => `urn:schemas-upnp-org:service:WANIPConnection:${v}`;

export function igdDescription(version: 1 | 2): string {
  return `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:${version}</deviceType><deviceList><device><deviceList><device><serviceList><service><serviceType>${WANIP(version)}</serviceType><controlURL>/ctl</controlURL></service></serviceList></device></deviceList></device></deviceList></device></root>`;
}

export function soapOk(
  action: string,
  serviceType: string,
  args: Record<string, string | number> = {},
): string {
  const inner = Object.entries(args)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join('');
  return `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:${action}Response xmlns:u="${serviceType}">${inner}</u:${action}Response></s:Body></s:Envelope>`;
}

export function soapFault(code: number, description: string): string {
  return `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>${code}</errorCode><errorDescription>${description}</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>`;
}

/** The action name from a SOAPAction header value. */
export function actionOf(req: IncomingMessage): string {
  const h = String(req.headers.soapaction ?? '');
  return h.replace(/"/g, '').split('#')[1] ?? '';
}

/** The text of one argument in a SOAP request body. */
export function argOf(body: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
}
