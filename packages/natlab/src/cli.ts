#!/usr/bin/env node
// pnpm natlab up|down|status|exec HOST -- cmd...
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createLab, type LabOptions, type RouterOptions } from './lab.js';
import { NAT_TYPES, type NatType } from './nat.js';
import { cleanupStale, listNetns } from './netns.js';
import { setDetachedSpawns } from './sh.js';

const STATE_DIR = '/run/natlab';
const STATE = `${STATE_DIR}/state.json`;
const PREFIX = 'nlcli';

interface State {
  prefix: string;
  namespaces: string[];
  hosts: Record<string, { netns: string; address: string; addresses: string[] }>;
  routers: {
    name: string;
    nat: string;
    wanAddress: string;
    publicAddress: string;
    lanAddress: string;
    host: string;
    hosts: string[];
  }[];
  coturn?: unknown;
  dns?: unknown;
}

const usage = `usage: natlab up [--nat TYPE,TYPE...] [--hairpin] [--delay MS] [--loss PCT] [--rate MBIT]
                 [--reorder PCT [--reorder-ms MS] [--seed N]]
                 [--dns] [--ipv6] [--hosts N] [--lans N] [--block-udp] [--behind TYPE [--no-cgnat]]
       natlab down
       natlab status
       natlab exec HOST -- COMMAND [ARGS...]
NAT types: ${NAT_TYPES.join(', ')}; hosts: server, r1, r2, ..., c1 (carrier), ..., h1, h1b, h2, ...`;

function fail(msg: string): never {
  process.stderr.write(`natlab: ${msg}\n`);
  process.exit(1);
}

async function readState(): Promise<State | undefined> {
  try {
    return JSON.parse(await readFile(STATE, 'utf8')) as State;
  } catch {
    return undefined;
  }
}

async function isUp(state: State): Promise<boolean> {
  const present = new Set(await listNetns());
  return state.namespaces.every((n) => present.has(n));
}

function optionValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function up(args: string[]): Promise<void> {
  const existing = await readState();
  if (existing && (await isUp(existing))) {
    process.stdout.write(`natlab: already up\n${JSON.stringify(existing, null, 2)}\n`);
    return;
  }
  await down(true);
  const nats = (optionValue(args, '--nat') ?? 'full-cone,symmetric').split(',');
  for (const n of nats)
    if (!NAT_TYPES.includes(n as NatType)) fail(`unknown NAT type "${n}" (one of ${NAT_TYPES.join(', ')})`);
  const hairpin = args.includes('--hairpin');
  const hosts = Number(optionValue(args, '--hosts') ?? 1);
  const lans = Number(optionValue(args, '--lans') ?? 1);
  const behind = optionValue(args, '--behind');
  if (behind !== undefined && (behind === 'none' || !NAT_TYPES.includes(behind as NatType)))
    fail(`--behind needs a NAT type other than none (${NAT_TYPES.join(', ')})`);
  const options: LabOptions = {
    prefix: PREFIX,
    name: 'cli',
    routers: nats.map((n) => {
      const r: RouterOptions = { nat: n as NatType, hairpin, hosts, lans };
      if (args.includes('--block-udp')) r.blockUdp = true;
      if (behind !== undefined)
        r.behind = { nat: behind as Exclude<NatType, 'none'>, cgnat: !args.includes('--no-cgnat') };
      return r;
    }),
    dns: args.includes('--dns'),
    ipv6: args.includes('--ipv6'),
    coturn: { users: { user: 'pass' }, staticAuthSecret: 'natlab-secret', realm: 'natlab', tls: true },
  };
  const delay = Number(optionValue(args, '--delay') ?? 0);
  const loss = Number(optionValue(args, '--loss') ?? 0);
  const rate = Number(optionValue(args, '--rate') ?? 0);
  const reorder = Number(optionValue(args, '--reorder') ?? 0);
  const reorderMs = optionValue(args, '--reorder-ms');
  const seed = optionValue(args, '--seed');
  for (const [name, v] of [
    ['--delay', delay],
    ['--loss', loss],
    ['--rate', rate],
    ['--reorder', reorder],
    ['--reorder-ms', Number(reorderMs ?? 0)],
    ['--seed', Number(seed ?? 0)],
    ['--hosts', hosts],
    ['--lans', lans],
  ] as const)
    if (!Number.isFinite(v) || v < 0) fail(`${name} needs a number >= 0`);
  if (delay || loss || rate || reorder) {
    options.impairment = { delayMs: delay, lossPercent: loss, rateMbit: rate, reorderPercent: reorder };
    if (reorderMs !== undefined) options.impairment.reorderExtraMs = Number(reorderMs);
    if (seed !== undefined) options.impairment.seed = Number(seed);
  }
  setDetachedSpawns(true);
  const lab = await createLab(options);
  const { certificatePem: _c, ...coturn } = lab.coturn ?? { certificatePem: undefined };
  const state: State = {
    prefix: lab.prefix,
    namespaces: lab.namespaces,
    hosts: Object.fromEntries(
      Object.entries(lab.hosts).map(([k, h]) => [
        k,
        { netns: h.netns, address: h.address, addresses: h.addresses },
      ]),
    ),
    routers: lab.routers.map((r) => ({
      name: r.name,
      nat: r.nat,
      wanAddress: r.wanAddress,
      publicAddress: r.publicAddress,
      lanAddress: r.lanAddress,
      host: r.host.name,
      hosts: r.hosts.map((h) => h.name),
    })),
    coturn,
    dns: lab.dns,
  };
  await mkdir(STATE_DIR, { recursive: true });
  await writeFile(STATE, `${JSON.stringify(state, null, 2)}\n`);
  process.stdout.write(
    `${JSON.stringify(state, null, 2)}\nnatlab: up (try: pnpm natlab exec h1 -- turnutils_stunclient 203.0.113.10)\n`,
  );
}

async function down(quiet = false): Promise<void> {
  const removed = await cleanupStale({ all: false });
  const cli = (await listNetns()).filter((n) => n.startsWith(`${PREFIX}-`));
  if (cli.length > 0) await cleanupStale({ all: true, only: PREFIX });
  await rm(STATE, { force: true });
  if (!quiet) process.stdout.write(`natlab: down (removed ${removed.length + cli.length} namespaces)\n`);
}

async function exec(args: string[]): Promise<void> {
  const host = args[0];
  const sep = args.indexOf('--');
  const cmd = sep >= 0 ? args.slice(sep + 1) : args.slice(1);
  if (!host || cmd.length === 0) fail(usage);
  const state = await readState();
  if (!state) fail('no lab is up; run `pnpm natlab up` first');
  const h = state.hosts[host];
  if (!h) fail(`no host "${host}" (hosts: ${Object.keys(state.hosts).join(', ')})`);
  const child = spawn('ip', ['netns', 'exec', h.netns, ...cmd], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (process.getuid?.() !== 0) fail('needs root (network namespaces, iptables)');
  switch (command) {
    case 'up':
      await up(rest);
      process.exit(0);
      break;
    case 'down':
      await down();
      break;
    case 'status': {
      const s = await readState();
      if (!s) process.stdout.write('natlab: down\n');
      else
        process.stdout.write(
          `natlab: ${(await isUp(s)) ? 'up' : 'broken (run down)'}\n${JSON.stringify(s, null, 2)}\n`,
        );
      break;
    }
    case 'exec':
      await exec(rest);
      break;
    default:
      process.stdout.write(`${usage}\n`);
      process.exit(command === undefined || command === '--help' ? 0 : 1);
  }
} catch (e) {
  fail(e instanceof Error ? e.message.replace(/^natlab: /, '') : String(e));
}
