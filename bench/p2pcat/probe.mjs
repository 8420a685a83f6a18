// Diagnostic hook for a p2pcat process (not part of the measured CLI): load it with
// P2PCAT_NODE_ARGS="--import ./probe.mjs" (a path the p2pcat processes can read). At exit it prints
// one "MEM ..." line on stderr (run.ts shows those): the CPU time, the peak of each
// process.memoryUsage() field sampled every 20 ms, and the event-loop delay (p50 / p99 / max).
// With PROBE_MAPS=1 it also splits the anonymous RSS at the peak by kind of mapping (from
// /proc/self/smaps): "brk" (glibc's main malloc arena), "arenas" (its per-thread arenas: 64 MiB
// reservations), "other" (V8's heap pages, code space, thread stacks and large malloc'd blocks).
// With PROBE_SPACES=1, V8's spaces at the peak: committed / used MiB of each. PROBE_TRACE=1 adds the
// RSS and external memory every 250 ms.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

const mib = (b) => (b / 1048576).toFixed(1);
const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
let atPeak = '';

/** V8's committed memory at the peak by space (PROBE_SPACES=1), the spaces holding 0.1 MiB or more. */
function heapSpaces() {
  const big = getHeapSpaceStatistics().filter((s) => s.physical_space_size >= 104858);
  return ` spaces (${big.map((s) => `${s.space_name.replace(/_space$/, '')} ${mib(s.physical_space_size)}/${mib(s.space_used_size)}`).join(' ')})`;
}

/** Anonymous resident KiB by kind of mapping. */
function anonByKind() {
  const kinds = { brk: 0, arenas: 0, other: 0 };
  let kind = 'other';
  let start = 0n;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      start = BigInt(`0x${head[1]}`);
      const name = head[4];
      kind = name === '[heap]' ? 'brk' : name === '' && start % (64n << 20n) === 0n ? 'arenas' : 'other';
      continue;
    }
    const a = /^Anonymous:\s+(\d+)/.exec(line);
    if (a) kinds[kind] += Number(a[1]);
  }
  return ` (brk ${(kinds.brk / 1024).toFixed(1)} arenas ${(kinds.arenas / 1024).toFixed(1)} other ${(kinds.other / 1024).toFixed(1)})`;
}

const sample = () => {
  const m = process.memoryUsage();
  if (m.rss > peak.rss) {
    // Where the resident memory is at the new peak: anonymous (heap, malloc) vs file-backed (code).
    try {
      const r = readFileSync('/proc/self/smaps_rollup', 'utf8');
      const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(r)?.[1] ?? 0);
      atPeak = `at the peak (${((performance.now() - t0) / 1000).toFixed(1)} s): anon ${(kb('Anonymous') / 1024).toFixed(1)}${process.env.PROBE_MAPS ? anonByKind() : ''} file ${((kb('Rss') - kb('Anonymous')) / 1024).toFixed(1)} heapTotal ${mib(m.heapTotal)} external ${mib(m.external)}${process.env.PROBE_SPACES ? heapSpaces() : ''}`;
    } catch {}
  }
  for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
  if (trace && performance.now() - lastTrace >= 250) {
    lastTrace = performance.now();
    trace.push(`${((lastTrace - t0) / 1000).toFixed(2)}:${mib(m.rss)}/${mib(m.external)}`);
  }
};
// PROBE_TRACE=1: rss / external MiB every 250 ms, printed at exit as "time:rss/external".
const trace = process.env.PROBE_TRACE ? [] : undefined;
let lastTrace = 0;
setInterval(sample, 20).unref();
const t0 = performance.now();
process.on('exit', () => {
  sample();
  const c = process.cpuUsage();
  const ms = (ns) => (ns / 1e6).toFixed(1);
  process.stderr.write(
    `MEM wall ${((performance.now() - t0) / 1000).toFixed(1)} s, cpu user ${(c.user / 1e6).toFixed(1)} s sys ${(c.system / 1e6).toFixed(1)} s; ` +
      `peak MiB rss ${mib(peak.rss)} heapTotal ${mib(peak.heapTotal)} heapUsed ${mib(peak.heapUsed)} external ${mib(peak.external)} arrayBuffers ${mib(peak.arrayBuffers)}; ` +
      `${trace ? `trace ${trace.join(' ')}; ` : ''}loop delay ms p50 ${ms(delay.percentile(50))} p99 ${ms(delay.max === 0 ? 0 : delay.percentile(99))} max ${ms(delay.max)}; ${atPeak}\n`,
  );
});
