// createLab: an "internet" bridge, a server host with coturn, and NAT routers with a LAN host each.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { type Coturn, type CoturnOptions, startCoturn } from './coturn.js';
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

export interface RouterOptions {
  nat: NatType;
  /** LAN host reaches its own mapped address (see README for the exact behaviour) */
  hairpin?: boolean;
  /** run miniupnpd (UPnP IGD + NAT-PMP) on the router for the LAN */
  miniupnpd?: boolean;
  /** impairment of this router's WAN link (overrides the lab's) */
  impairment?: Impairment;
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
  /** namespace name prefix (default nl<pid>x<n>); used by the CLI */
  prefix?: string;
}

export interface LabHost {
  name: string;
  netns: string;
  /** primary IPv4 address */
  address: string;
  addresses: string[];
  gateway?: string;
}

export interface LabRouter {
  name: string;
  netns: string;
  nat: NatType;
  hairpin: boolean;
  wanAddress: string;
  lanAddress: string;
  lanSubnet: string;
  host: LabHost;
}

export interface CoturnInfo {
  addresses: string[];
  port: number;
  altPort: number;
  tlsPort?: number;
  restPort?: number;
  restTlsPort?: number;
  users: Record<string, string>;
  realm: string;
  staticAuthSecret?: string;
  certificatePem?: string;
  relayPorts: [number, number];
}

export interface Lab {
  name: string;
  prefix: string;
  /** 'server', 'r1', 'r2', ..., 'h1', 'h2', ... */
  hosts: Record<string, LabHost>;
  server: LabHost;
  routers: LabRouter[];
  coturn?: CoturnInfo;
  stunServer?: ChildProcess;
  /** every namespace of the lab, the internet bridge's first */
  namespaces: string[];
  exec(host: string | LabHost, cmd: string, args?: string[], opts?: ExecOptions): Promise<ExecResult>;
  spawn(host: string | LabHost, cmd: string, args?: string[], opts?: SpawnOptions): ChildProcess;
  down(): Promise<void>;
}

export const SERVER_ADDRESSES = ['203.0.113.10', '203.0.113.11'] as const;
const INTERNET_PREFIX = 24;

function routerPlan(index: number, nat: NatType) {
  const n = index + 1;
  const wan = `203.0.113.${100 + n}`;
  if (nat === 'none') {
    const base = 16 * n;
    return {
      n,
      wan,
      lan: `198.51.100.${base + 1}`,
      host: `198.51.100.${base + 2}`,
      subnet: `198.51.100.${base}/28`,
      len: 28,
    };
  }
  return { n, wan, lan: `10.0.${n}.1`, host: `10.0.${n}.2`, subnet: `10.0.${n}.0/24`, len: 24 };
}

async function sysctl(netns: string, key: string, value: string): Promise<void> {
  await nsRun(netns, 'sysctl', ['-qw', `${key}=${value}`]);
}

/** Builds the lab; on any failure everything built so far is removed before the error is thrown. */
export async function createLab(options: LabOptions = {}): Promise<Lab> {
  const prefix = options.prefix ?? newPrefix();
  const name = options.name ?? prefix;
  const routerOpts = options.routers ?? [{ nat: 'restricted' }, { nat: 'restricted' }];
  if (routerOpts.length > 9) throw new Error('natlab: at most 9 routers');
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
    await deleteNetns(namespaces);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir(dir, { recursive: true });
    const ns = (suffix: string): string => `${prefix}-${suffix}`;
    const inet = ns('inet');
    const addNs = async (n: string): Promise<void> => {
      namespaces.push(n); // pushed first so a half-made namespace is still removed
      await addNetns(n);
      for (const k of ['all', 'default']) await sysctl(n, `net.ipv4.conf.${k}.rp_filter`, '0');
    };
    await addNs(inet);
    await run('ip', ['-n', inet, 'link', 'add', 'br0', 'type', 'bridge']);
    await run('ip', ['-n', inet, 'link', 'set', 'br0', 'up']);
    // A veth between `netns` (named `inner`) and the internet bridge (named `outer`).
    const plug = async (netns: string, inner: string, outer: string): Promise<void> => {
      await run('ip', [
        'link',
        'add',
        inner,
        'netns',
        netns,
        'type',
        'veth',
        'peer',
        'name',
        outer,
        'netns',
        inet,
      ]);
      await run('ip', ['-n', inet, 'link', 'set', outer, 'master', 'br0', 'up']);
      await run('ip', ['-n', netns, 'link', 'set', inner, 'up']);
    };

    // Server host: two public addresses.
    const srv = ns('server');
    await addNs(srv);
    await plug(srv, 'eth0', 'server');
    for (const a of SERVER_ADDRESSES)
      await run('ip', ['-n', srv, 'addr', 'add', `${a}/${INTERNET_PREFIX}`, 'dev', 'eth0']);
    const server: LabHost = {
      name: 'server',
      netns: srv,
      address: SERVER_ADDRESSES[0],
      addresses: [...SERVER_ADDRESSES],
    };
    const hosts: Record<string, LabHost> = { server };

    const routers: LabRouter[] = [];
    const plans = routerOpts.map((o, i) => ({ o, p: routerPlan(i, o.nat) }));
    for (const { o, p } of plans) {
      const rns = ns(`r${p.n}`);
      const hns = ns(`h${p.n}`);
      await addNs(rns);
      await addNs(hns);
      await plug(rns, 'eth0', `r${p.n}`);
      await run('ip', ['-n', rns, 'addr', 'add', `${p.wan}/${INTERNET_PREFIX}`, 'dev', 'eth0']);
      await run('ip', [
        'link',
        'add',
        'lan0',
        'netns',
        rns,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        hns,
      ]);
      await run('ip', ['-n', rns, 'addr', 'add', `${p.lan}/${p.len}`, 'dev', 'lan0']);
      await run('ip', ['-n', rns, 'link', 'set', 'lan0', 'up']);
      await run('ip', ['-n', hns, 'addr', 'add', `${p.host}/${p.len}`, 'dev', 'eth0']);
      await run('ip', ['-n', hns, 'link', 'set', 'eth0', 'up']);
      await run('ip', ['-n', hns, 'route', 'add', 'default', 'via', p.lan]);
      await sysctl(rns, 'net.ipv4.ip_forward', '1');
      const host: LabHost = {
        name: `h${p.n}`,
        netns: hns,
        address: p.host,
        addresses: [p.host],
        gateway: p.lan,
      };
      const router: LabRouter = {
        name: `r${p.n}`,
        netns: rns,
        nat: o.nat,
        hairpin: o.hairpin === true,
        wanAddress: p.wan,
        lanAddress: p.lan,
        lanSubnet: p.subnet,
        host,
      };
      hosts[router.name] = { name: router.name, netns: rns, address: p.wan, addresses: [p.wan, p.lan] };
      hosts[host.name] = host;
      routers.push(router);
      await configureNat(o.miniupnpd ? { ...router, acceptInputFrom: [...SERVER_ADDRESSES] } : router);
    }
    // Routes to public ('none') LANs from every internet-attached namespace.
    for (const r of routers.filter((x) => x.nat === 'none')) {
      for (const n of [srv, ...routers.filter((x) => x !== r).map((x) => x.netns)]) {
        await run('ip', ['-n', n, 'route', 'add', r.lanSubnet, 'via', r.wanAddress]);
      }
    }
    // Every veth end operationally UP before anything runs in the lab (see waitLinksUp).
    await waitLinksUp(inet, ['server', ...routers.map((r) => r.name)]);
    await waitLinksUp(srv, ['eth0']);
    for (const r of routers) {
      await waitLinksUp(r.netns, ['eth0', 'lan0']);
      await waitLinksUp(r.host.netns, ['eth0']);
    }
    for (const [i, r] of routers.entries()) {
      const o = routerOpts[i];
      const imp = o?.impairment ?? options.impairment;
      if (imp) {
        const d = await applyImpairment(
          r.netns,
          [
            { ingress: 'eth0', egress: 'lan0' },
            { ingress: 'lan0', egress: 'eth0' },
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
      exec: (h, cmd, args = [], opts = {}) => nsRun(resolveHost(hosts, h).netns, cmd, args, opts),
      spawn: (h, cmd, args = [], opts = {}) => {
        const c = nsSpawn(resolveHost(hosts, h).netns, cmd, args, opts);
        children.push(c);
        return c;
      },
      down,
    };
    if (options.coturn !== false) {
      coturn = await startCoturn({
        ...(options.coturn ?? {}),
        netns: srv,
        addresses: [...SERVER_ADDRESSES],
        workDir: `${dir}/coturn`,
      });
      const { process: _p, stop: _s, logFile: _l, ...info } = coturn;
      lab.coturn = info;
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
      'listening_ip=lan0',
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
