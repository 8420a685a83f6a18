// A router namespace running miniupnpd between a LAN host namespace and a WAN namespace.
//
//   [host ns] 192.168.77.10 --veth-- 192.168.77.1 [router ns: miniupnpd, nftables] 11.113.0.1 --veth-- 11.113.0.2 [wan ns]
//
// miniupnpd refuses to forward when its external address is reserved (it treats RFC 5737
// documentation ranges as reserved), so the WAN side uses 11.113.0.0/24. The namespaces have no
// route to anything else, so no packet ever leaves them.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Lab {
  router: string;
  host: string;
  wan: string;
  hostAddress: string;
  routerLanAddress: string;
  externalAddress: string;
  wanPeerAddress: string;
  /** runs a command in a namespace, returns stdout */
  run(ns: string, cmd: string, args: string[]): string;
  /** which netfilter backend this miniupnpd build uses */
  backend: 'nftables' | 'iptables';
  /** the DNAT rules miniupnpd put in the router, as "externalPort->address:port" */
  dnatRules(): string[];
  log(): string;
  teardown(): Promise<void>;
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Debian builds miniupnpd against either nftables or iptables; `--version` says which. */
export function miniupnpdBackend(): 'nftables' | 'iptables' {
  let out = '';
  try {
    out = execFileSync('miniupnpd', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '');
  }
  return out.includes('nftables') ? 'nftables' : 'iptables';
}

export async function createLab(tag: string): Promise<Lab> {
  const backend = miniupnpdBackend();
  const base = `upnp-${process.pid}-${tag}`;
  const router = `${base}-r`;
  const host = `${base}-h`;
  const wan = `${base}-w`;
  // interface names are at most 15 characters
  const short = `u${process.pid % 100000}${tag.slice(0, 2)}`;
  const rLan = `${short}rl`;
  const hLan = `${short}hl`;
  const rWan = `${short}rw`;
  const wWan = `${short}ww`;
  const dir = mkdtempSync(join(tmpdir(), `${base}-`));
  let daemon: ChildProcess | undefined;
  const logPath = join(dir, 'miniupnpd.log');
  const readLog = (): string => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };
  const created: string[] = [];

  const teardown = async (): Promise<void> => {
    if (daemon !== undefined && daemon.exitCode === null) {
      const exited = new Promise<void>((r) => daemon?.once('exit', () => r()));
      daemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    }
    for (const ns of created.reverse()) {
      try {
        sh('ip', ['netns', 'del', ns]); // also removes its veths and nftables tables
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (const ns of [router, host, wan]) {
      sh('ip', ['netns', 'add', ns]);
      created.push(ns);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    sh('ip', ['link', 'add', rLan, 'netns', router, 'type', 'veth', 'peer', 'name', hLan, 'netns', host]);
    sh('ip', ['link', 'add', rWan, 'netns', router, 'type', 'veth', 'peer', 'name', wWan, 'netns', wan]);
    const addr = (ns: string, dev: string, cidr: string): void => {
      sh('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', dev]);
      sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    };
    addr(router, rLan, '192.168.77.1/24');
    addr(host, hLan, '192.168.77.10/24');
    addr(router, rWan, '11.113.0.1/24');
    addr(wan, wWan, '11.113.0.2/24');
    sh('ip', ['-n', host, 'route', 'add', 'default', 'via', '192.168.77.1']);
    // The kernel reports carrier on a fresh veth up to a second later (linkwatch); until then
    // the interface is not RUNNING and Node's os.networkInterfaces() does not list it.
    const links: Array<[string, string]> = [
      [router, rLan],
      [host, hLan],
      [router, rWan],
      [wan, wWan],
    ];
    const carrierDeadline = Date.now() + 5000;
    while (
      links.some(([ns, dev]) => sh('ip', ['-n', ns, 'link', 'show', 'dev', dev]).includes('NO-CARRIER'))
    ) {
      if (Date.now() > carrierDeadline) throw new Error('veth carrier did not come up');
      await new Promise((r) => setTimeout(r, 50));
    }
    sh('ip', ['netns', 'exec', router, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
    if (backend === 'nftables') {
      // The chains the nftables build of miniupnpd expects (table inet filter, its defaults).
      const ruleset = `table inet filter {
  chain forward { type filter hook forward priority 0; policy drop; ct state established,related accept; iifname "${rLan}" accept; jump miniupnpd; }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; oifname "${rWan}" masquerade; }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
`;
      writeFileSync(join(dir, 'ruleset.nft'), ruleset);
      sh('ip', ['netns', 'exec', router, 'nft', '-f', join(dir, 'ruleset.nft')]);
    } else {
      // The chains the iptables build expects (what Debian's iptables_init.sh creates).
      const ipt = (...args: string[]): string =>
        sh('ip', ['netns', 'exec', router, 'iptables', '-w', ...args]);
      ipt('-t', 'nat', '-N', 'MINIUPNPD');
      ipt('-t', 'nat', '-A', 'PREROUTING', '-i', rWan, '-j', 'MINIUPNPD');
      ipt('-t', 'nat', '-N', 'MINIUPNPD-POSTROUTING');
      ipt('-t', 'nat', '-A', 'POSTROUTING', '-o', rWan, '-j', 'MINIUPNPD-POSTROUTING');
      ipt('-t', 'nat', '-A', 'POSTROUTING', '-o', rWan, '-j', 'MASQUERADE');
      ipt('-t', 'mangle', '-N', 'MINIUPNPD');
      ipt('-t', 'mangle', '-A', 'PREROUTING', '-i', rWan, '-j', 'MINIUPNPD');
      ipt('-t', 'filter', '-N', 'MINIUPNPD');
      ipt('-P', 'FORWARD', 'DROP');
      ipt('-A', 'FORWARD', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
      ipt('-A', 'FORWARD', '-i', rLan, '-j', 'ACCEPT');
      ipt('-A', 'FORWARD', '-i', rWan, '!', '-o', rWan, '-j', 'MINIUPNPD');
    }
    const conf = [
      `ext_ifname=${rWan}`,
      `listening_ip=${rLan}`,
      'http_port=5000',
      'enable_upnp=yes',
      // NAT-PMP and PCP share one switch in this build (enable_natpmp covers both)
      'enable_natpmp=yes',
      'secure_mode=yes',
      'system_uptime=yes',
      'uuid=6f1a3c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b',
      `lease_file=${join(dir, 'leases')}`,
      'min_lifetime=60',
      'max_lifetime=86400',
      'clean_ruleset_interval=600',
      'allow 1024-65535 192.168.77.0/24 1024-65535',
      'deny 0-65535 0.0.0.0/0 0-65535',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'miniupnpd.conf'), conf);
    // Its debug log goes to a file, not a pipe: a pipe nobody drains (the test thread blocked in
    // execFileSync) fills up and stalls miniupnpd in write(2).
    const logFd = openSync(logPath, 'w');
    daemon = spawn(
      'ip',
      ['netns', 'exec', router, 'miniupnpd', '-f', join(dir, 'miniupnpd.conf'), '-d', '-P', join(dir, 'pid')],
      {
        stdio: ['ignore', logFd, logFd],
      },
    );
    closeSync(logFd);
    // Ready when it listens for NAT-PMP/PCP (the last socket it opens).
    const started = Date.now();
    while (!readLog().includes('Listening for NAT-PMP/PCP')) {
      if (daemon.exitCode !== null) throw new Error(`miniupnpd exited: ${readLog()}`);
      if (Date.now() - started > 5000) throw new Error(`miniupnpd did not start: ${readLog()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    await teardown();
    throw e;
  }

  return {
    router,
    host,
    wan,
    hostAddress: '192.168.77.10',
    routerLanAddress: '192.168.77.1',
    externalAddress: '11.113.0.1',
    wanPeerAddress: '11.113.0.2',
    run: (ns, cmd, args) => sh('ip', ['netns', 'exec', ns, cmd, ...args]),
    backend,
    dnatRules: () => {
      if (backend === 'nftables') {
        const text = sh('ip', [
          'netns',
          'exec',
          router,
          'nft',
          'list',
          'chain',
          'inet',
          'filter',
          'prerouting_miniupnpd',
        ]);
        return [...text.matchAll(/dport (\d+) dnat (?:ip )?to ([\d.]+):(\d+)/g)].map(
          (m) => `${m[1]}->${m[2]}:${m[3]}`,
        );
      }
      const text = sh('ip', ['netns', 'exec', router, 'iptables', '-w', '-t', 'nat', '-S', 'MINIUPNPD']);
      return [...text.matchAll(/--dport (\d+) .*-j DNAT --to-destination ([\d.]+):(\d+)/g)].map(
        (m) => `${m[1]}->${m[2]}:${m[3]}`,
      );
    },
    log: readLog,
    teardown,
  };
}
