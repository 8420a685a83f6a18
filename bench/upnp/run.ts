// Time to a port mapping against a real miniupnpd (router namespace, see packages/upnp/e2e/lab.ts):
// @p2pcat/upnp per protocol and raced, against miniupnpc's `upnpc -a` / `upnpc -d` in the same run.
// Needs root, miniupnpd, upnpc. Run: cd bench/upnp && npx tsx run.ts [rounds]
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createLab } from '../../packages/upnp/e2e/lab.ts';

const ROUNDS = Number(process.argv[2] ?? 10);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

const lab = await createLab('bench');
try {
  const script = fileURLToPath(new URL('./in-ns.mjs', import.meta.url));
  const ours = JSON.parse(
    execFileSync('ip', ['netns', 'exec', lab.host, process.execPath, script, String(ROUNDS)], {
      encoding: 'utf8',
    }),
  ) as Record<string, Array<{ mapped: number; closed: number; won: string }>>;

  // upnpc with SSDP discovery (its default 2 s wait), and with -u (description URL given, no SSDP)
  const upnpcAdd: number[] = [];
  const upnpcDel: number[] = [];
  const directAdd: number[] = [];
  const directDel: number[] = [];
  const desc = `http://${lab.routerLanAddress}:5000/rootDesc.xml`;
  for (let i = 0; i < ROUNDS; i++) {
    for (const [add, del, pre, base] of [
      [upnpcAdd, upnpcDel, [] as string[], 42000],
      [directAdd, directDel, ['-u', desc], 43000],
    ] as const) {
      const port = String(base + i);
      let t0 = performance.now();
      lab.run(lab.host, 'upnpc', [...pre, '-e', 'bench', '-a', lab.hostAddress, port, port, 'UDP', '600']);
      add.push(performance.now() - t0);
      t0 = performance.now();
      lab.run(lab.host, 'upnpc', [...pre, '-d', port, 'UDP']);
      del.push(performance.now() - t0);
    }
  }
  const ref = median(upnpcAdd);
  console.log(
    `rounds: ${ROUNDS}; miniupnpd ${execFileSync('miniupnpd', ['--version'], { encoding: 'utf8' }).split('\n')[0]}`,
  );
  console.log('| client | median ms to mapping | median ms to delete | vs upnpc -a |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, xs] of Object.entries(ours)) {
    const m = median(xs.map((x) => x.mapped));
    const winners = name === 'race' ? ` (won: ${[...new Set(xs.map((x) => x.won))].join(', ')})` : '';
    console.log(
      `| @p2pcat/upnp ${name}${winners} | ${m.toFixed(1)} | ${median(xs.map((x) => x.closed)).toFixed(1)} | ${(ref / m).toFixed(1)}x faster |`,
    );
  }
  console.log(
    `| upnpc -a / -d (miniupnpc 2.2.4, SSDP discovery, process start included) | ${ref.toFixed(1)} | ${median(upnpcDel).toFixed(1)} | 1.0x |`,
  );
  const d = median(directAdd);
  console.log(
    `| upnpc -u <rootDesc> -a / -d (no SSDP, process start included) | ${d.toFixed(1)} | ${median(directDel).toFixed(1)} | ${(ref / d).toFixed(1)}x faster |`,
  );
} finally {
  await lab.teardown();
}
