// A fake home router on loopback serving PCP, NAT-PMP and UPnP-IGD from ONE rule table, as
// miniupnpd does: a rule is keyed by external port and protocol and remembers who filed it (its
// description). PCP deletes only a rule filed with its nonce (else NOT_AUTHORIZED), NAT-PMP only
// rules it filed, UPnP DeletePortMapping any rule of that port; an add from the same client for
// the same internal port takes the rule over (for a UPnP add, as miniupnpd's iptables build does;
// its nftables build keeps the rule's first filer then). Each request is applied when it arrives; its answer
// can be held back (or never sent) by the test, so a request "reached the router, answer in
// flight" is staged without timers.
import type { ServerResponse } from 'node:http';
import {
  actionOf,
  argOf,
  type FakeHttp,
  type FakeUdp,
  fakeHttp,
  fakeUdpServer,
  igdDescription,
  soapFault,
  soapOk,
  ssdpResponder,
} from './fakes.js';

export interface Rule {
  externalPort: number;
  protocol: 'udp' | 'tcp';
  internalPort: number;
  /** 'PCP <nonce hex>', 'NAT-PMP' or the UPnP description */
  filedBy: string;
}

export type RequestKind =
  | 'pcp-map'
  | 'pcp-delete'
  | 'natpmp-map'
  | 'natpmp-delete'
  | 'upnp-add'
  | 'upnp-delete'
  | 'other';

/** What the test does with the answer to a request: send it, hold it until released, or drop it. */
export type AnswerPolicy = 'send' | 'hold' | 'drop';

export interface UnifiedRouter {
  gatewayPort: number;
  ssdpPort: number;
  rules: Map<string, Rule>;
  /** the kinds of the requests applied, in order */
  log: RequestKind[];
  /** how answers of each kind are treated from now on (default 'send') */
  policy: Partial<Record<RequestKind, AnswerPolicy>>;
  /** external port PCP assigns for a suggested one (default: the suggestion, or the next free) */
  pcpAssigns?: (suggested: number) => number;
  /** resolves when a request of that kind has been applied (at once if one was) */
  reached(kind: RequestKind): Promise<void>;
  /** sends the answers held so far (of one kind, or all) */
  release(kind?: RequestKind): void;
  /** how many answers are held */
  held(): number;
  close(): Promise<void>;
}

const EXTERNAL = [203, 0, 113, 7];
const key = (protocol: 'udp' | 'tcp', port: number): string => `${protocol}:${port}`;

export async function unifiedRouter(): Promise<UnifiedRouter> {
  const rules = new Map<string, Rule>();
  const log: RequestKind[] = [];
  const waiters: Array<{ kind: RequestKind; resolve: () => void }> = [];
  const heldAnswers: Array<{ kind: RequestKind; send: () => void }> = [];
  const router: UnifiedRouter = {
    gatewayPort: 0,
    ssdpPort: 0,
    rules,
    log,
    policy: {},
    reached: (kind) =>
      log.includes(kind) ? Promise.resolve() : new Promise((resolve) => waiters.push({ kind, resolve })),
    release: (kind) => {
      for (let i = 0; i < heldAnswers.length; ) {
        const h = heldAnswers[i];
        if (h !== undefined && (kind === undefined || h.kind === kind)) {
          heldAnswers.splice(i, 1);
          h.send();
        } else i++;
      }
    },
    held: () => heldAnswers.length,
    close: async () => undefined,
  };
  const applied = (kind: RequestKind, send: () => void): void => {
    log.push(kind);
    for (const w of waiters.filter((x) => x.kind === kind)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    const policy = router.policy[kind] ?? 'send';
    if (policy === 'send') send();
    else if (policy === 'hold') heldAnswers.push({ kind, send });
  };

  /** Files a rule the way a MAP / AddPortMapping does: takes over our own, skips another's. */
  const file = (
    protocol: 'udp' | 'tcp',
    suggested: number,
    internalPort: number,
    filedBy: string,
  ): number => {
    let port = suggested;
    for (;;) {
      const existing = rules.get(key(protocol, port));
      if (existing === undefined || existing.internalPort === internalPort) break;
      port = port === 65535 ? 1024 : port + 1;
    }
    rules.set(key(protocol, port), { externalPort: port, protocol, internalPort, filedBy });
    return port;
  };

  const udp: FakeUdp = await fakeUdpServer((msg, reply) => {
    const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    if (msg[0] === 2 && msg[1] === 1 && msg.length >= 60) {
      const lifetime = v.getUint32(4);
      const nonce = Buffer.from(msg.subarray(24, 36)).toString('hex');
      const protocol = msg[36] === 6 ? 'tcp' : 'udp';
      const internalPort = v.getUint16(40);
      const filedBy = `PCP ${nonce}`;
      let result = 0;
      let port = 0;
      if (lifetime === 0) {
        // RFC 6887 §15: a deletion names the mapping by its nonce, protocol and internal port
        const rule = [...rules.values()].find(
          (r) => r.protocol === protocol && r.internalPort === internalPort,
        );
        if (rule !== undefined && rule.filedBy !== filedBy)
          result = 2; // NOT_AUTHORIZED
        else if (rule !== undefined) rules.delete(key(protocol, rule.externalPort));
      } else {
        const suggested = v.getUint16(42) || internalPort;
        port = file(protocol, router.pcpAssigns?.(suggested) ?? suggested, internalPort, filedBy);
      }
      const b = new Uint8Array(60);
      b.set(msg.subarray(0, 60));
      const o = new DataView(b.buffer);
      b[1] = 0x81;
      b[3] = result;
      o.setUint32(8, 1000); // epoch
      b.fill(0, 12, 24);
      o.setUint16(42, port);
      b.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...EXTERNAL], 44);
      applied(lifetime === 0 ? 'pcp-delete' : 'pcp-map', () => reply(b));
      return;
    }
    if (msg[0] === 0 && msg[1] === 0) {
      const b = new Uint8Array([0, 128, 0, 0, 0, 0, 3, 232, ...EXTERNAL]);
      applied('other', () => reply(b));
      return;
    }
    if (msg[0] === 0 && (msg[1] === 1 || msg[1] === 2) && msg.length >= 12) {
      const protocol = msg[1] === 2 ? 'tcp' : 'udp';
      const internalPort = v.getUint16(4);
      const lifetime = v.getUint32(8);
      let port = 0;
      if (lifetime === 0) {
        // RFC 6886 §3.4: deletes the client's mapping of that internal port (miniupnpd: its own only)
        for (const r of [...rules.values()]) {
          if (r.protocol === protocol && r.internalPort === internalPort && r.filedBy === 'NAT-PMP')
            rules.delete(key(protocol, r.externalPort));
        }
      } else port = file(protocol, v.getUint16(6) || internalPort, internalPort, 'NAT-PMP');
      const b = new Uint8Array(16);
      const o = new DataView(b.buffer);
      b[1] = 128 + (msg[1] ?? 0);
      o.setUint32(4, 1000);
      o.setUint16(8, internalPort);
      o.setUint16(10, port);
      o.setUint32(12, lifetime);
      applied(lifetime === 0 ? 'natpmp-delete' : 'natpmp-map', () => reply(b));
      return;
    }
    // a PCP request of another shape: UNSUPP_VERSION would be wrong, just ignore it
  });

  const st = 'urn:schemas-upnp-org:service:WANIPConnection:1';
  const http: FakeHttp = await fakeHttp((req, body, res: ServerResponse) => {
    if (req.url === '/desc.xml') {
      res.writeHead(200, { 'Content-Type': 'text/xml' }).end(igdDescription(1));
      return;
    }
    const action = actionOf(req);
    const send = (status: number, xml: string): void => {
      if (!res.destroyed) res.writeHead(status, { 'Content-Type': 'text/xml' }).end(xml);
    };
    if (action === 'AddPortMapping') {
      const protocol = argOf(body, 'NewProtocol') === 'TCP' ? 'tcp' : 'udp';
      const externalPort = Number(argOf(body, 'NewExternalPort'));
      const internalPort = Number(argOf(body, 'NewInternalPort'));
      const existing = rules.get(key(protocol, externalPort));
      if (existing !== undefined && existing.internalPort !== internalPort) {
        applied('upnp-add', () => send(500, soapFault(718, 'ConflictInMappingEntry')));
        return;
      }
      // IGD WANIPConnection §2.4.16: the same client's add overwrites the existing mapping
      rules.set(key(protocol, externalPort), {
        externalPort,
        protocol,
        internalPort,
        filedBy: argOf(body, 'NewPortMappingDescription') ?? '',
      });
      applied('upnp-add', () => send(200, soapOk(action, st)));
    } else if (action === 'DeletePortMapping') {
      const protocol = argOf(body, 'NewProtocol') === 'TCP' ? 'tcp' : 'udp';
      const gone = rules.delete(key(protocol, Number(argOf(body, 'NewExternalPort'))));
      applied('upnp-delete', () =>
        gone ? send(200, soapOk(action, st)) : send(500, soapFault(714, 'NoSuchEntryInArray')),
      );
    } else if (action === 'GetExternalIPAddress') {
      applied('other', () => send(200, soapOk(action, st, { NewExternalIPAddress: EXTERNAL.join('.') })));
    } else applied('other', () => send(200, soapOk(action, st)));
  });
  const ssdp = await ssdpResponder(() => `${http.url}/desc.xml`);
  router.gatewayPort = udp.port;
  router.ssdpPort = ssdp.port;
  router.close = async () => {
    heldAnswers.splice(0);
    await Promise.all([udp.close(), http.close(), ssdp.close()]);
  };
  return router;
}

/** The rules as "externalPort->internalPort filedBy" lines, sorted. */
export function ruleList(router: UnifiedRouter): string[] {
  return [...router.rules.values()]
    .map((r) => `${r.externalPort}->${r.internalPort} ${r.filedBy.startsWith('PCP') ? 'PCP' : r.filedBy}`)
    .sort();
}
