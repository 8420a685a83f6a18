// The lab's resolver: Debian's dnsmasq in the server namespace with the records a test chooses, and
// per-namespace resolv.conf/hosts files so every lab host asks it (`ip netns exec` bind-mounts
// /etc/netns/<ns>/* over /etc/*).
import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { netnsEtcDir } from './netns.js';
import { nsRun, nsSpawn, sleep } from './sh.js';

export interface DnsOptions {
  /** name -> IPv4 and/or IPv6 addresses (A and AAAA records); merged over the default records */
  records?: Record<string, string[]>;
  /** the default records (stun.l.google.com -> the lab's STUN-only 'google' coturn, stun.cloudflare.com -> the lab coturn); default true */
  defaults?: boolean;
}

export interface DnsInfo {
  /** resolver addresses (port 53, UDP and TCP): 203.0.113.10 and, with IPv6, 2001:db8::10 */
  addresses: string[];
  port: 53;
  /** every record served, name -> addresses */
  records: Record<string, string[]>;
}

/** p2pcat's default STUN servers' names. */
export const DEFAULT_STUN_NAMES = ['stun.l.google.com', 'stun.cloudflare.com'] as const;

export function dnsRecords(opts: DnsOptions, defaults: Record<string, string[]>): Record<string, string[]> {
  const records: Record<string, string[]> = {};
  if (opts.defaults !== false) for (const [n, a] of Object.entries(defaults)) records[n] = [...a];
  for (const [name, addrs] of Object.entries(opts.records ?? {})) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(name))
      throw new Error(`natlab: DNS record name "${name}" is not a host name`);
    for (const a of addrs)
      if (isIP(a) === 0) throw new Error(`natlab: DNS record ${name}: "${a}" is not an IP address`);
    records[name.toLowerCase()] = [...addrs];
  }
  return records;
}

/** Starts dnsmasq listening only on `listen` (port 53); resolves once it answers on every address. */
export async function startDnsmasq(
  netns: string,
  listen: string[],
  records: Record<string, string[]>,
): Promise<ChildProcess> {
  const args = [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--pid-file=', // no pid file: the lab tracks the child's pid
    '--user=root',
    '--group=root',
    '--bind-interfaces',
    '--port=53',
    '--local-ttl=1',
    ...listen.map((a) => `--listen-address=${a}`),
    // one --host-record per address: A for IPv4, AAAA for IPv6
    ...Object.entries(records).flatMap(([n, addrs]) => addrs.map((a) => `--host-record=${n},${a}`)),
  ];
  if (process.env.NATLAB_DEBUG) args.push('--log-queries', '--log-facility=-');
  const child = nsSpawn(netns, 'dnsmasq', args, {
    stdio: ['ignore', 'ignore', process.env.NATLAB_DEBUG ? 'inherit' : 'ignore'],
  });
  child.unref();
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`natlab: dnsmasq exited at start (code ${child.exitCode})`);
    const ss = await nsRun(netns, 'ss', ['-Hlnu'], { allowFailure: true });
    const seen = listen.filter((a) => ss.stdout.includes(isIP(a) === 6 ? `[${a}]:53` : `${a}:53`));
    if (seen.length === listen.length) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('natlab: dnsmasq did not listen within 10 s');
    }
    await sleep(30);
  }
}

/** /etc/netns/<ns>/resolv.conf pointing at the lab resolver, and a hosts file with only localhost. */
export async function writeResolverFiles(netns: string, nameservers: string[]): Promise<void> {
  const dir = netnsEtcDir(netns);
  await mkdir(dir, { recursive: true });
  await writeFile(
    `${dir}/resolv.conf`,
    `# natlab ${netns}\n${nameservers.map((n) => `nameserver ${n}`).join('\n')}\noptions timeout:1 attempts:2\n`,
  );
  await writeFile(`${dir}/hosts`, '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n');
}
