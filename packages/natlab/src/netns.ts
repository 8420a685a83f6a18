// Network namespaces: create, list, delete (killing every process inside first).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, isDetached, killPids, run, sleep } from './sh.js';

let labCounter = 0;

/**
 * A prefix unique to this process and call: `nl<pid>x<n><rand>`; the pid lets cleanupStale find
 * leftovers, the random part keeps worker threads of one process apart.
 */
export function newPrefix(): string {
  const rand = Math.floor(Math.random() * 36 ** 3)
    .toString(36)
    .padStart(3, '0');
  return `nl${process.pid}x${(labCounter++).toString(36)}${rand}`;
}

/** Working directory for a lab's generated files (configs, certificates, logs). */
export function workDir(prefix: string): string {
  return join(tmpdir(), `natlab-${prefix}`);
}

export async function addNetns(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

interface LinkState {
  ifname: string;
  flags: string[];
  operstate: string;
}

/**
 * Waits until each of `devs` in the namespace is administratively up, has carrier and is
 * operationally UP.
 *
 * `ip link set up` returns before the kernel is done: a veth end gets its carrier when its peer
 * comes up, but its operational state is set later by the kernel's link-watch work
 * (net/core/link_watch.c), which is shared by the whole machine and, for events it does not count
 * as urgent, runs at most once a second. A veth end whose ifindex equals its peer's ifindex (two
 * fresh namespaces: both ends are `eth0@if2`) is not urgent, so on a machine busy creating other
 * links the end brought up last can stay "<UP,LOWER_UP> state DOWN" for up to a second. Meanwhile
 * Node's os.networkInterfaces() (libuv lists only interfaces with IFF_UP and IFF_RUNNING) does not
 * show its address, which a program started at once reads as "no usable address". An end found
 * administratively down is brought up again.
 */
export async function waitLinksUp(netns: string, devs: string[], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await run('ip', ['-j', '-n', netns, 'link', 'show'], { allowFailure: true });
    let links: LinkState[] = [];
    try {
      links = JSON.parse(r.stdout || '[]') as LinkState[];
    } catch {}
    const pending = devs.filter((d) => {
      const l = links.find((x) => x.ifname === d);
      return !(l?.flags.includes('UP') && l.flags.includes('LOWER_UP') && l.operstate === 'UP');
    });
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      const seen = pending.map((d) => {
        const l = links.find((x) => x.ifname === d);
        return l ? `${d} <${l.flags.join(',')}> state ${l.operstate}` : `${d} missing`;
      });
      throw new Error(`natlab: links in ${netns} not up after ${timeoutMs} ms: ${seen.join('; ')}`);
    }
    for (const d of pending) {
      const l = links.find((x) => x.ifname === d);
      if (l && !l.flags.includes('UP')) await run('ip', ['-n', netns, 'link', 'set', d, 'up']);
    }
    await sleep(10);
  }
}

export async function listNetns(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { allowFailure: true });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.length > 0);
}

export async function netnsPids(name: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', name], { allowFailure: true });
  return r.stdout
    .split('\n')
    .map((s) => Number.parseInt(s, 10))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** Kills every process in the namespaces, then deletes them (and everything inside: links, rules, tables). */
export async function deleteNetns(names: string[]): Promise<void> {
  const pids: number[] = [];
  for (const n of names) pids.push(...(await netnsPids(n)));
  await killPids(pids);
  for (const n of names) await run('ip', ['netns', 'del', n], { allowFailure: true });
  // Per-namespace resolver files (`ip netns exec` bind-mounts /etc/netns/<ns>/* over /etc/*).
  for (const n of names) await rm(netnsEtcDir(n), { recursive: true, force: true });
}

/** /etc/netns/<name>: files there replace their /etc namesakes for commands run with `ip netns exec`. */
export function netnsEtcDir(name: string): string {
  return join('/etc/netns', name);
}

const OWNED = /^nl(\d+)x[0-9a-z]+-/;
const CLI = /^nlcli-/;

/** The lab prefix a namespace name belongs to, or undefined when it is not a natlab namespace. */
export function prefixOf(netns: string): string | undefined {
  const m = /^(nl\d+x[0-9a-z]+|nlcli)-/.exec(netns);
  return m?.[1];
}

/**
 * Removes namespaces (with their processes) and work directories left by labs whose process is dead.
 * `all: true` also removes the CLI lab and labs of live processes; `only` limits it to one prefix.
 */
export async function cleanupStale(opts: { all?: boolean; only?: string } = {}): Promise<string[]> {
  const stale = (n: string): boolean => {
    if (opts.only !== undefined && prefixOf(n) !== opts.only) return false;
    if (CLI.test(n)) return opts.all === true;
    const m = OWNED.exec(n);
    if (!m) return false;
    return opts.all === true || (Number(m[1]) !== process.pid && !isAlive(Number(m[1])));
  };
  // /etc/netns/<ns> directories whose namespace is already gone
  const etc = await readdir('/etc/netns').catch(() => [] as string[]);
  for (const n of etc.filter(stale)) await rm(netnsEtcDir(n), { recursive: true, force: true });
  const victims = (await listNetns()).filter((n) => {
    if (opts.only !== undefined && prefixOf(n) !== opts.only) return false;
    if (CLI.test(n)) return opts.all === true;
    const m = OWNED.exec(n);
    if (!m) return false;
    return opts.all === true || (Number(m[1]) !== process.pid && !isAlive(Number(m[1])));
  });
  await deleteNetns(victims);
  const prefixes = new Set(victims.map(prefixOf).filter((p): p is string => p !== undefined));
  for (const p of prefixes) await rm(workDir(p), { recursive: true, force: true });
  return victims;
}

// Namespaces of labs that are up in this process, removed synchronously at process exit when a test
// forgot down() or crashed (a killed process is reaped by the next cleanupStale instead).
const live = new Map<string[], string | undefined>();
let exitHookInstalled = false;

function removeAtExit(): void {
  for (const [names, dir] of live) {
    for (const n of names) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', n], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        for (const p of pids.split('\n').filter((s) => s.trim().length > 0)) {
          try {
            process.kill(Number(p), 'SIGKILL');
          } catch {}
        }
        execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
      } catch {}
      rmSync(netnsEtcDir(n), { recursive: true, force: true });
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

/** Registers a lab's namespaces (the array is read at exit, so later pushes count); returns an untrack function. */
export function trackNamespaces(names: string[], dir?: string): () => void {
  // The CLI (detached spawns) builds a lab that must outlive the command; `natlab down` removes it.
  if (isDetached()) return () => {};
  if (!exitHookInstalled) {
    process.once('exit', removeAtExit);
    exitHookInstalled = true;
  }
  live.set(names, dir);
  return () => {
    live.delete(names);
  };
}
