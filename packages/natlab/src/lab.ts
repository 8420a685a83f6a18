// createLab: an "internet" bridge, a server host with coturn, and NAT routers with a LAN host each.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { type Coturn, type CoturnOptions, startCoturn } from './coturn.js';
import { type DnsInfo, type DnsOptions, dnsRecords, startDnsmasq, writeResolverFiles } from './dns.js';
import { applyImpairment, type Impairment } from './impairment.js';
import { configureNat, type NatType } from './nat.js';
import {
  addNetns,
  cleanupStale,
  deleteNetns,
  newPrefix,
  trackNamespaces,
  waitLinksUp,
  workDir,
} from './netns.js';
import { type ExecOptions, type ExecResult, nsRun, nsSpawn, run, sleep } from './sh.js';

export type IpFamily = 'dual' | 'ipv4' | 'ipv6';

/** A carrier NAT in front of a router (double NAT; with cgnat its WAN is in 100.64.0.0/10). */
export interface CarrierOptions {
  nat: Exclude<NatType, 'none'>;
  /** the link between carrier and home router is 100.64.N.0/24 (RFC 6598, default true); false: 172.16.N.0/24 */
  cgnat?: boolean;
  /** hairpinning on the carrier NAT (default false) */
  hairpin?: boolean;
}

export interface RouterOptions {
  nat: NatType;
  /** LAN host reaches its own mapped address (see README for the exact behaviour) */
  hairpin?: boolean;
  /** run miniupnpd (UPnP IGD + NAT-PMP) on the router for the LAN */
  miniupnpd?: boolean;
  /** impairment of this router's WAN link (overrides the lab's) */
  impairment?: Impairment;
  /** hosts on each LAN (default 1): h<N>, h<N>b, h<N>c, ... */
  hosts?: number;
  /** LAN interfaces lan0, lan1, ... (default 1), each its own subnet, all behind the one WAN address */
  lans?: number;
  /** address families of the LANs (default 'dual' in an ipv6 lab, else 'ipv4') */
  family?: IpFamily;
  /** only TCP 80 and 443 (and DNS to the lab resolver) leave the LANs; all other UDP and TCP is dropped */
  blockUdp?: boolean;
  /** a carrier NAT between this router and the internet (double NAT / CGNAT) */
  behind?: CarrierOptions;
  /** nat 'symmetric-sequential': the port increment between two new mappings (1..8, default 1) */
  portStep?: number;
  /**
   * Other hosts' traffic through this NAT: the router sends this many datagrams per second from its
   * LAN address, each to a new destination (203.0.113.11, ports 20000..29999 in turn), so every one
   * takes a new mapping, like other machines behind the same NAT opening flows. Default 0 (none).
   */
  crossTraffic?: number;
}

export interface LabOptions {
  /** label used in messages */
  name?: string;
  /** default: two 'restricted' routers */
  routers?: RouterOptions[];
  /** coturn on the server host (default on, user 'user' / 'pass'); false: none */
  coturn?: CoturnOptions | false;
  /** our own STUN server, run in the server namespace; '{primary}' and '{alternate}' in args are replaced */
  stunServer?: { command: string; args: string[] };
  /** impairment of every router's WAN link, applied on arrival in both directions */
  impairment?: Impairment;
  /** namespace prefix (default nl<pid>x<n>); used by the CLI */
  prefix?: string;
  /** a resolver (dnsmasq) on the server that every lab namespace uses; true: the default records */
  dns?: boolean | DnsOptions;
  /** IPv6 on the internet segment, the server and the LANs (routed, firewalled, no NAT66) */
  ipv6?: boolean;
}

export interface LabHost {
  name: string;
  netns: string;
  /** primary address: IPv4, or IPv6 on an IPv6-only LAN */
  address: string;
  addresses: string[];
  /** global IPv6 address, when the host has one */
  address6?: string;
  gateway?: string;
  gateway6?: string;
}

export interface LabLan {
  /** lan0, lan1, ... in the router namespace */
  ifname: string;
  /** router's IPv4 address on it (absent on an IPv6-only LAN) */
  address?: string;
  subnet?: string;
  address6?: string;
  subnet6?: string;
  hosts: LabHost[];
}

export interface LabCarrier {
  /** 'c1', ... */
  name: string;
  netns: string;
  nat: NatType;
  hairpin: boolean;
  /** its address on the internet, 203.0.113.(100+N) */
  wanAddress: string;
  wanAddress6?: string;
  /** its address towards the home router: 100.64.N.1 (172.16.N.1 without cgnat) */
  lanAddress: string;
  lanSubnet: string;
}

export interface LabRouter {
  name: string;
  netns: string;
  nat: NatType;
  hairpin: boolean;
  family: IpFamily;
  blockUdp: boolean;
  /** the router's own WAN address: 203.0.113.(100+N), or 100.64.N.2 behind a carrier */
  wanAddress: string;
  wanAddress6?: string;
  /** the address peers on the internet see: wanAddress, or the carrier's wanAddress */
  publicAddress: string;
  /** lan0's addresses (lanAddress is IPv6 on an IPv6-only LAN) */
  lanAddress: string;
  lanSubnet: string;
  /** the first host (h<N>) */
  host: LabHost;
  /** all hosts of all LANs, in order */
  hosts: LabHost[];
  lans: LabLan[];
  carrier?: LabCarrier;
}

export interface CoturnInfo {
  addresses: string[];
  port: number;
  altPort: number;
  tlsPort?: number;
  restPort?: number;
  restTlsPort?: number;
  /**
   * a STUN-only coturn for stun.l.google.com:19302 on its own addresses (203.0.113.20/.21, with IPv6
   * 2001:db8::20/::21), port 19302 UDP+TCP, RFC 5780 alternate port 19303 (lab coturn only)
   */
  google?: { addresses: string[]; port: number; altPort: number };
  /** 443: the same coturn over TCP and TLS on one port (for blockUdp LANs; lab coturn only) */
  tcpTlsPort?: number;
  users: Record<string, string>;
  realm: string;
  staticAuthSecret?: string;
  certificatePem?: string;
  relayPorts: [number, number];
}

export interface Lab {
  name: string;
  prefix: string;
  /** 'server', 'r1', 'r2', ..., 'c1' (carriers), ..., 'h1', 'h1b', 'h2', ... */
  hosts: Record<string, LabHost>;
  server: LabHost;
  routers: LabRouter[];
  coturn?: CoturnInfo;
  dns?: DnsInfo;
  ipv6: boolean;
  stunServer?: ChildProcess;
  /** every namespace of the lab, the internet bridge's first */
  namespaces: string[];
  exec(host: string | LabHost, cmd: string, args?: string[], opts?: ExecOptions): Promise<ExecResult>;
  spawn(host: string | LabHost, cmd: string, args?: string[], opts?: SpawnOptions): ChildProcess;
  down(): Promise<void>;
}

export const SERVER_ADDRESSES = ['203.0.113.10', '203.0.113.11'] as const;
/** RFC 3849 documentation prefix; the internet segment is 2001:db8::/64 */
export const SERVER_ADDRESSES6 = ['2001:db8::10', '2001:db8::11'] as const;
/** the STUN-only server behind the default name stun.l.google.com (lab coturn only) */
export const GOOGLE_ADDRESSES = ['203.0.113.20', '203.0.113.21'] as const;
export const GOOGLE_ADDRESSES6 = ['2001:db8::20', '2001:db8::21'] as const;
const INTERNET_PREFIX = 24;
/** DSCP of miniupnpd's own STUN check behind a carrier, which the carrier does not NAT (see README) */
const STUN_CHECK_DSCP = '0x2a';

const hostName = (n: number, i: number): string =>
  i === 0 ? `h${n}` : `h${n}${String.fromCharCode(97 + i)}`;

interface LanPlan {
  k: number;
  ifname: string;
  v4?: { router: string; subnet: string; len: number; host: (j: number) => string };
  v6?: { router: string; subnet: string; host: (j: number) => string };
}

function lanPlan(n: number, k: number, nat: NatType, family: IpFamily): LanPlan {
  const plan: LanPlan = { k, ifname: `lan${k}` };
  if (family !== 'ipv6') {
    if (nat === 'none') {
      const base = 16 * n;
      plan.v4 = {
        router: `198.51.100.${base + 1}`,
        subnet: `198.51.100.${base}/28`,
        len: 28,
        host: (j) => `198.51.100.${base + 2 + j}`,
      };
    } else {
      const m = n + 10 * k;
      plan.v4 = {
        router: `10.0.${m}.1`,
        subnet: `10.0.${m}.0/24`,
        len: 24,
        host: (j) => `10.0.${m}.${2 + j}`,
      };
    }
  }
  if (family !== 'ipv4') {
    const m = n + 10 * k;
    plan.v6 = {
      router: `2001:db8:${m}::1`,
      subnet: `2001:db8:${m}::/64`,
      host: (j) => `2001:db8:${m}::${2 + j}`,
    };
  }
  return plan;
}

async function sysctl(netns: string, key: string, value: string): Promise<void> {
  await nsRun(netns, 'sysctl', ['-qw', `${key}=${value}`]);
}

function validate(o: RouterOptions, i: number, ipv6: boolean): void {
  const at = `natlab: routers[${i}]`;
  const hosts = o.hosts ?? 1;
  const lans = o.lans ?? 1;
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > 8) throw new Error(`${at}.hosts must be 1..8`);
  if (!Number.isInteger(lans) || lans < 1 || lans > 4) throw new Error(`${at}.lans must be 1..4`);
  if (o.nat === 'none' && lans > 1) throw new Error(`${at}: nat 'none' has one LAN`);
  if (o.nat === 'full-cone' && hosts * lans > 1)
    throw new Error(`${at}: a full-cone router has exactly one LAN host`);
  if (o.behind && o.nat === 'none') throw new Error(`${at}: nat 'none' cannot sit behind a carrier NAT`);
  if (o.family !== undefined && !['dual', 'ipv4', 'ipv6'].includes(o.family))
    throw new Error(`${at}.family must be 'dual', 'ipv4' or 'ipv6'`);
  if (o.portStep !== undefined && o.nat !== 'symmetric-sequential')
    throw new Error(`${at}.portStep needs nat 'symmetric-sequential'`);
  if (o.portStep !== undefined && (!Number.isInteger(o.portStep) || o.portStep < 1 || o.portStep > 8))
    throw new Error(`${at}.portStep must be 1..8`);
  if (o.crossTraffic !== undefined && !(o.crossTraffic >= 0 && o.crossTraffic <= 1000))
    throw new Error(`${at}.crossTraffic must be 0..1000 datagrams per second`);
  if (o.crossTraffic && o.nat === 'none') throw new Error(`${at}.crossTraffic needs a NAT`);
  if (o.family !== undefined && o.family !== 'ipv4' && !ipv6)
    throw new Error(`${at}.family '${o.family}' needs ipv6: true`);
}

/** Builds the lab; on any failure everything built so far is removed before the error is thrown. */
export async function createLab(options: LabOptions = {}): Promise<Lab> {
  const prefix = options.prefix ?? newPrefix();
  const name = options.name ?? prefix;
  const routerOpts = options.routers ?? [{ nat: 'restricted' }, { nat: 'restricted' }];
  if (routerOpts.length > 9) throw new Error('natlab: at most 9 routers');
  const v6 = options.ipv6 === true;
  for (const [i, o] of routerOpts.entries()) validate(o, i, v6);
  const namespaces: string[] = [];
  const children: ChildProcess[] = [];
  let coturn: Coturn | undefined;
  const dir = workDir(prefix);
  await cleanupStale(); // leftovers of crashed runs (their process is gone)
  const untrack = trackNamespaces(namespaces, dir);
  const down = async (): Promise<void> => {
    untrack();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    if (coturn) await coturn.stop().catch(() => undefined);
    await deleteNetns(namespaces); // also removes /etc/netns/<ns>
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir(dir, { recursive: true });
    const ns = (suffix: string): string => `${prefix}-${suffix}`;
    const inet = ns('inet');
    const addNs = async (n: string): Promise<void> => {
      namespaces.push(n); // pushed first so a half-made namespace is still removed
      await addNetns(n);
      for (const k of ['all', 'default']) {
        await sysctl(n, `net.ipv4.conf.${k}.rp_filter`, '0');
        // addresses usable at once (no duplicate address detection wait)
        await sysctl(n, `net.ipv6.conf.${k}.accept_dad`, '0');
        await sysctl(n, `net.ipv6.conf.${k}.accept_ra`, '0');
      }
    };
    const addr = (netns: string, a: string, len: number, dev: string): Promise<unknown> =>
      run('ip', [
        '-n',
        netns,
        'addr',
        'add',
        `${a}/${len}`,
        'dev',
        dev,
        ...(a.includes(':') ? ['nodad'] : []),
      ]);
    const route = (netns: string, ...args: string[]): Promise<unknown> =>
      run('ip', ['-n', netns, ...(args.some((a) => a.includes(':')) ? ['-6'] : []), 'route', 'add', ...args]);
    const veth = (aNs: string, aName: string, bNs: string, bName: string): Promise<unknown> =>
      run('ip', ['link', 'add', aName, 'netns', aNs, 'type', 'veth', 'peer', 'name', bName, 'netns', bNs]);
    await addNs(inet);
    await run('ip', ['-n', inet, 'link', 'add', 'br0', 'type', 'bridge']);
    await run('ip', ['-n', inet, 'link', 'set', 'br0', 'up']);
    // A veth between `netns` (named `inner`) and the internet bridge (named `outer`).
    const plug = async (netns: string, inner: string, outer: string): Promise<void> => {
      await veth(netns, inner, inet, outer);
      await run('ip', ['-n', inet, 'link', 'set', outer, 'master', 'br0', 'up']);
      await run('ip', ['-n', netns, 'link', 'set', inner, 'up']);
    };
    const waits: [string, string[]][] = [];

    // Server host: two public addresses (and two IPv6 ones).
    const srv = ns('server');
    await addNs(srv);
    await plug(srv, 'eth0', 'server');
    waits.push([srv, ['eth0']]);
    const serverAddrs: string[] = [...SERVER_ADDRESSES, ...(v6 ? SERVER_ADDRESSES6 : [])];
    for (const a of SERVER_ADDRESSES) await addr(srv, a, INTERNET_PREFIX, 'eth0');
    if (v6) for (const a of SERVER_ADDRESSES6) await addr(srv, a, 64, 'eth0');
    const googleAddrs: string[] = [...GOOGLE_ADDRESSES, ...(v6 ? GOOGLE_ADDRESSES6 : [])];
    if (options.coturn !== false)
      for (const a of googleAddrs) await addr(srv, a, a.includes(':') ? 64 : INTERNET_PREFIX, 'eth0');
    const server: LabHost = {
      name: 'server',
      netns: srv,
      address: SERVER_ADDRESSES[0],
      addresses: serverAddrs,
    };
    if (v6) server.address6 = SERVER_ADDRESSES6[0];
    const hosts: Record<string, LabHost> = { server };
    const inetPorts = ['server'];

    const routers: LabRouter[] = [];
    // routes every internet-attached namespace needs: [subnet, via]
    const publicRoutes: { subnet: string; via: string; owner: string }[] = [];
    const serverOnlyRoutes: { subnet: string; via: string }[] = [];
    const internetNs: string[] = [srv];
    const natConfigs: Parameters<typeof configureNat>[0][] = [];
    for (const [i, o] of routerOpts.entries()) {
      const n = i + 1;
      const family: IpFamily = o.family ?? (v6 ? 'dual' : 'ipv4');
      const rns = ns(`r${n}`);
      await addNs(rns);
      await sysctl(rns, 'net.ipv4.ip_forward', '1');
      if (v6) await sysctl(rns, 'net.ipv6.conf.all.forwarding', '1');
      const publicWan = `203.0.113.${100 + n}`;
      const publicWan6 = v6 ? `2001:db8::${100 + n}` : undefined;
      let carrier: LabCarrier | undefined;
      let wan = publicWan;
      let wan6 = publicWan6;
      if (o.behind) {
        const cns = ns(`c${n}`);
        await addNs(cns);
        await sysctl(cns, 'net.ipv4.ip_forward', '1');
        if (v6) await sysctl(cns, 'net.ipv6.conf.all.forwarding', '1');
        await plug(cns, 'eth0', `c${n}`);
        inetPorts.push(`c${n}`);
        internetNs.push(cns);
        await addr(cns, publicWan, INTERNET_PREFIX, 'eth0');
        if (publicWan6) await addr(cns, publicWan6, 64, 'eth0');
        const cg = o.behind.cgnat !== false;
        const net = cg ? `100.64.${n}` : `172.16.${n}`;
        await veth(cns, 'lan0', rns, 'eth0');
        await run('ip', ['-n', cns, 'link', 'set', 'lan0', 'up']);
        await run('ip', ['-n', rns, 'link', 'set', 'eth0', 'up']);
        await addr(cns, `${net}.1`, 24, 'lan0');
        wan = `${net}.2`;
        await addr(rns, wan, 24, 'eth0');
        await route(rns, 'default', 'via', `${net}.1`);
        if (v6) {
          await addr(cns, `2001:db8:${100 + n}::1`, 64, 'lan0');
          wan6 = `2001:db8:${100 + n}::2`;
          await addr(rns, wan6, 64, 'eth0');
          await route(rns, 'default', 'via', `2001:db8:${100 + n}::1`);
        }
        carrier = {
          name: `c${n}`,
          netns: cns,
          nat: o.behind.nat,
          hairpin: o.behind.hairpin === true,
          wanAddress: publicWan,
          lanAddress: `${net}.1`,
          lanSubnet: `${net}.0/24`,
        };
        if (publicWan6) carrier.wanAddress6 = publicWan6;
        hosts[carrier.name] = {
          name: carrier.name,
          netns: cns,
          address: publicWan,
          addresses: [publicWan, `${net}.1`, ...(publicWan6 ? [publicWan6] : [])],
        };
        waits.push([cns, ['eth0', 'lan0']]);
        natConfigs.push({
          netns: cns,
          nat: o.behind.nat,
          hairpin: carrier.hairpin,
          wanAddress: publicWan,
          lans: [{ ifname: 'lan0', subnet: carrier.lanSubnet }],
          hostAddress: wan,
        });
        if (o.miniupnpd) {
          // miniupnpd's own STUN check leaves the home router marked and passes the carrier un-NATed,
          // so miniupnpd sees its WAN address 1:1 (what a UPnP client then reports as double NAT).
          await nsRun(cns, 'iptables', [
            '-w',
            '-t',
            'nat',
            '-I',
            'POSTROUTING',
            '1',
            '-o',
            'eth0',
            '-m',
            'dscp',
            '--dscp',
            STUN_CHECK_DSCP,
            '-j',
            'ACCEPT',
          ]);
          await nsRun(cns, 'iptables', [
            '-w',
            '-I',
            'FORWARD',
            '1',
            '-i',
            'eth0',
            '-o',
            'lan0',
            '-d',
            wan,
            '-s',
            '203.0.113.10/31',
            '-p',
            'udp',
            '-m',
            'multiport',
            '--sports',
            '3478,3479',
            '-j',
            'ACCEPT',
          ]);
          await nsRun(rns, 'iptables', [
            '-w',
            '-t',
            'mangle',
            '-A',
            'OUTPUT',
            '-o',
            'eth0',
            '-d',
            '203.0.113.10/31',
            '-p',
            'udp',
            '-m',
            'multiport',
            '--dports',
            '3478,3479',
            '-j',
            'DSCP',
            '--set-dscp',
            STUN_CHECK_DSCP,
          ]);
          serverOnlyRoutes.push({ subnet: carrier.lanSubnet, via: publicWan });
        }
      } else {
        await plug(rns, 'eth0', `r${n}`);
        inetPorts.push(`r${n}`);
        internetNs.push(rns);
        await addr(rns, wan, INTERNET_PREFIX, 'eth0');
        if (wan6) await addr(rns, wan6, 64, 'eth0');
      }
      const rHosts: LabHost[] = [];
      const lans: LabLan[] = [];
      const perLan = o.hosts ?? 1;
      const lanIfs: string[] = [];
      for (let k = 0; k < (o.lans ?? 1); k++) {
        const plan = lanPlan(n, k, o.nat, family);
        const lan: LabLan = { ifname: plan.ifname, hosts: [] };
        if (perLan > 1) {
          // several hosts on one LAN: the LAN is a bridge in the router, one port per host
          await run('ip', ['-n', rns, 'link', 'add', plan.ifname, 'type', 'bridge']);
          await run('ip', ['-n', rns, 'link', 'set', plan.ifname, 'up']);
        }
        if (plan.v4) {
          if (perLan > 1) await addr(rns, plan.v4.router, plan.v4.len, plan.ifname);
          lan.address = plan.v4.router;
          lan.subnet = plan.v4.subnet;
        }
        if (plan.v6) {
          lan.address6 = plan.v6.router;
          lan.subnet6 = plan.v6.subnet;
        }
        for (let j = 0; j < perLan; j++) {
          const h = hostName(n, rHosts.length);
          const hns = ns(h);
          await addNs(hns);
          if (perLan > 1) {
            const port = `${plan.ifname}p${j}`;
            await veth(rns, port, hns, 'eth0');
            await run('ip', ['-n', rns, 'link', 'set', port, 'master', plan.ifname, 'up']);
            lanIfs.push(port);
          } else {
            await veth(rns, plan.ifname, hns, 'eth0');
            await run('ip', ['-n', rns, 'link', 'set', plan.ifname, 'up']);
            if (plan.v4) await addr(rns, plan.v4.router, plan.v4.len, plan.ifname);
          }
          await run('ip', ['-n', hns, 'link', 'set', 'eth0', 'up']);
          const host: LabHost = { name: h, netns: hns, address: '', addresses: [] };
          if (plan.v4) {
            const a = plan.v4.host(j);
            await addr(hns, a, plan.v4.len, 'eth0');
            await route(hns, 'default', 'via', plan.v4.router);
            host.address = a;
            host.addresses.push(a);
            host.gateway = plan.v4.router;
          }
          if (plan.v6) {
            const a = plan.v6.host(j);
            await addr(hns, a, 64, 'eth0');
            await route(hns, 'default', 'via', plan.v6.router);
            host.address6 = a;
            host.addresses.push(a);
            host.gateway6 = plan.v6.router;
            if (!plan.v4) host.address = a;
          }
          lan.hosts.push(host);
          rHosts.push(host);
          hosts[h] = host;
          waits.push([hns, ['eth0']]);
        }
        if (plan.v6) await addr(rns, plan.v6.router, 64, plan.ifname);
        lanIfs.push(plan.ifname);
        lans.push(lan);
        if (plan.v4 && o.nat === 'none') publicRoutes.push({ subnet: plan.v4.subnet, via: wan, owner: rns });
        if (plan.v6) {
          publicRoutes.push({
            subnet: plan.v6.subnet,
            via: publicWan6 ?? '',
            owner: carrier ? carrier.netns : rns,
          });
          if (carrier && wan6) await route(carrier.netns, plan.v6.subnet, 'via', wan6);
        }
      }
      waits.push([rns, ['eth0', ...lanIfs]]);
      const first = rHosts[0] as LabHost;
      const lan0 = lans[0] as LabLan;
      const router: LabRouter = {
        name: `r${n}`,
        netns: rns,
        nat: o.nat,
        hairpin: o.hairpin === true,
        family,
        blockUdp: o.blockUdp === true,
        wanAddress: wan,
        publicAddress: carrier ? carrier.wanAddress : wan,
        lanAddress: lan0.address ?? lan0.address6 ?? '',
        lanSubnet: lan0.subnet ?? lan0.subnet6 ?? '',
        host: first,
        hosts: rHosts,
        lans,
      };
      if (wan6) router.wanAddress6 = wan6;
      if (carrier) router.carrier = carrier;
      hosts[router.name] = {
        name: router.name,
        netns: rns,
        address: wan,
        addresses: [
          wan,
          ...lans.flatMap((l) => [l.address, l.address6].filter((x): x is string => !!x)),
          ...(wan6 ? [wan6] : []),
        ],
      };
      routers.push(router);
      const resolvers = options.dns ? [SERVER_ADDRESSES[0]] : [];
      const natLans = lans
        .filter((l) => l.subnet !== undefined)
        .map((l) => ({ ifname: l.ifname, subnet: l.subnet ?? '' }));
      const cfg: Parameters<typeof configureNat>[0] = {
        netns: rns,
        nat: o.nat,
        hairpin: router.hairpin,
        wanAddress: wan,
        lans: natLans,
        ipv6: family !== 'ipv4' && v6,
      };
      if (rHosts.length === 1 && first.address6 !== first.address) cfg.hostAddress = first.address;
      if (o.portStep !== undefined) cfg.portStep = o.portStep;
      if (o.miniupnpd) cfg.acceptInputFrom = [...SERVER_ADDRESSES];
      if (o.blockUdp)
        cfg.blockUdp = { dns: resolvers, dns6: options.dns && v6 ? [SERVER_ADDRESSES6[0]] : [] };
      natConfigs.push(cfg);
    }
    for (const c of natConfigs) await configureNat(c);
    // Routes to public ('none') LANs and to every IPv6 LAN from every internet-attached namespace.
    for (const r of publicRoutes)
      for (const n of internetNs) if (n !== r.owner) await route(n, r.subnet, 'via', r.via);
    for (const r of serverOnlyRoutes) await route(srv, r.subnet, 'via', r.via);
    // Every veth end operationally UP before anything runs in the lab (see waitLinksUp).
    await waitLinksUp(inet, inetPorts);
    for (const [n, devs] of waits) await waitLinksUp(n, devs);
    for (const [i, r] of routers.entries()) {
      const o = routerOpts[i];
      const imp = o?.impairment ?? options.impairment;
      if (imp) {
        const d = await applyImpairment(
          r.netns,
          [
            { ingress: 'eth0', egress: r.lans[0]?.ifname ?? 'lan0' },
            ...r.lans.map((l, k) =>
              k === 0 ? { ingress: l.ifname, egress: 'eth0' } : { ingress: l.ifname, egress: l.ifname },
            ),
          ],
          imp,
          i,
        );
        if (d) children.push(d);
      }
    }

    const lab: Lab = {
      name,
      prefix,
      hosts,
      server,
      routers,
      namespaces,
      ipv6: v6,
      exec: (h, cmd, args = [], opts = {}) => nsRun(resolveHost(hosts, h).netns, cmd, args, opts),
      spawn: (h, cmd, args = [], opts = {}) => {
        const c = nsSpawn(resolveHost(hosts, h).netns, cmd, args, opts);
        children.push(c);
        return c;
      },
      down,
    };
    if (options.dns) {
      const dnsOpts = options.dns === true ? {} : options.dns;
      const records = dnsRecords(dnsOpts, {
        'stun.l.google.com': [GOOGLE_ADDRESSES[0], ...(v6 ? [GOOGLE_ADDRESSES6[0]] : [])],
        'stun.cloudflare.com': [SERVER_ADDRESSES[0], ...(v6 ? [SERVER_ADDRESSES6[0]] : [])],
      });
      const listen = [SERVER_ADDRESSES[0], ...(v6 ? [SERVER_ADDRESSES6[0]] : [])];
      children.push(await startDnsmasq(srv, listen, records));
      lab.dns = { addresses: listen, port: 53, records };
      for (const n of namespaces) {
        if (n === inet) continue;
        const h = Object.values(hosts).find((x) => x.netns === n);
        const fams =
          h?.address6 && h.address === h.address6
            ? [SERVER_ADDRESSES6[0]]
            : h?.address6
              ? [SERVER_ADDRESSES[0], SERVER_ADDRESSES6[0]]
              : [SERVER_ADDRESSES[0]];
        await writeResolverFiles(n, fams);
      }
    }
    if (options.coturn !== false) {
      coturn = await startCoturn({
        ...(options.coturn ?? {}),
        netns: srv,
        addresses: serverAddrs,
        workDir: `${dir}/coturn`,
      });
      const { process: _p, stop: _s, logFile: _l, ...info } = coturn;
      // TURN over TCP and TLS on 443 reaches the same coturn: its plain listening port also takes
      // TLS (coturn detects the ClientHello), so one redirect serves both. (A UDP redirect would
      // make the server's conntrack re-map the source port of a client that also asks port 3478.)
      const port = String(coturn.port);
      await nsRun(srv, 'nft', ['-f', '-'], {
        input: `table inet natlab_ports {\n  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n    tcp dport 443 redirect to :${port}\n  }\n}\n`,
      });
      // Google's STUN server is another host and STUN only: its own coturn on its own addresses.
      const google = await startCoturn({
        netns: srv,
        addresses: googleAddrs,
        port: 19302,
        tls: false,
        users: {},
        relayPorts: [49400, 49409],
        extraArgs: ['--stun-only'],
        workDir: `${dir}/coturn-google`,
      });
      const stopMain = coturn.stop;
      coturn.stop = async () => {
        await google.stop();
        await stopMain();
      };
      lab.coturn = {
        ...info,
        google: { addresses: googleAddrs, port: 19302, altPort: 19303 },
        tcpTlsPort: 443,
      };
    }
    for (const [i, r] of routers.entries()) {
      const rate = routerOpts[i]?.crossTraffic ?? 0;
      if (rate > 0 && r.lans[0]?.address)
        children.push(
          nsSpawn(r.netns, process.execPath, ['-e', crossTrafficScript(r.lans[0].address, rate)]),
        );
    }
    for (const [i, r] of routers.entries()) {
      if (!routerOpts[i]?.miniupnpd) continue;
      if (!lab.coturn)
        throw new Error('natlab: miniupnpd needs the lab coturn (its STUN check); do not pass coturn: false');
      children.push(await startMiniupnpd(r, dir));
    }
    if (options.stunServer) {
      const args = options.stunServer.args.map((a) =>
        a.replaceAll('{primary}', SERVER_ADDRESSES[0]).replaceAll('{alternate}', SERVER_ADDRESSES[1]),
      );
      const c = lab.spawn(server, options.stunServer.command, args, { stdio: 'inherit' });
      lab.stunServer = c;
      await sleep(300);
      if (c.exitCode !== null)
        throw new Error(`natlab: the STUN server command exited at start (code ${c.exitCode})`);
    }
    return lab;
  } catch (e) {
    await down();
    throw e;
  }
}

/** A sender from `from` opening a new flow (new destination port) `rate` times a second. */
function crossTrafficScript(from: string, rate: number): string {
  return `const s = require('node:dgram').createSocket('udp4');
s.on('error', () => {});
s.bind(0, ${JSON.stringify(from)}, () => {
  let i = 0;
  setInterval(() => s.send('natlab cross traffic', 20000 + (i++ % 10000), ${JSON.stringify(SERVER_ADDRESSES[1])}), ${1000 / rate});
});`;
}

function resolveHost(hosts: Record<string, LabHost>, h: string | LabHost): LabHost {
  if (typeof h !== 'string') return h;
  const host = hosts[h];
  if (!host) throw new Error(`natlab: no host "${h}" in this lab (hosts: ${Object.keys(hosts).join(', ')})`);
  return host;
}

async function startMiniupnpd(r: LabRouter, dir: string): Promise<ChildProcess> {
  const conf = `${dir}/miniupnpd-${r.name}.conf`;
  const uuid = `00000000-0000-4000-8000-00000000000${r.name.slice(1)}`;
  await writeFile(
    conf,
    [
      'ext_ifname=eth0',
      ...r.lans.map((l) => `listening_ip=${l.ifname}`),
      'http_port=0',
      'enable_natpmp=yes',
      'enable_upnp=yes',
      'secure_mode=yes',
      'system_uptime=yes',
      `uuid=${uuid}`,
      `lease_file=${dir}/upnp-${r.name}.leases`,
      // The WAN address is from a documentation range, which miniupnpd 2.3 calls reserved and refuses
      // to forward to, unless a STUN check (against the lab's coturn) shows it is reachable.
      'ext_perform_stun=yes',
      `ext_stun_host=${SERVER_ADDRESSES[0]}`,
      'ext_stun_port=3478',
      'upnp_table_name=natlab_upnp',
      'upnp_nat_table_name=natlab_upnp',
      'allow 1024-65535 0.0.0.0/0 1024-65535',
      'deny 0-65535 0.0.0.0/0 0-65535',
      '',
    ].join('\n'),
  );
  // miniupnpd (Debian: nftables backend) adds its DNAT and forward rules to chains we create here.
  // (Debian's nft_init.sh would add a forward chain with policy drop and writes to a shared /tmp file.)
  const ruleset = `table inet natlab_upnp {
  chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
`;
  await nsRun(r.netns, 'nft', ['-f', '-'], { input: ruleset });
  const c = nsSpawn(r.netns, 'miniupnpd', ['-d', '-f', conf, '-P', `${dir}/miniupnpd-${r.name}.pid`]);
  await sleep(300);
  if (c.exitCode !== null)
    throw new Error(`natlab: miniupnpd on ${r.name} exited at start (code ${c.exitCode})`);
  return c;
}
