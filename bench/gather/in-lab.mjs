// Runs inside the lab's LAN host namespace (behind a restricted NAT): times @p2pcat/gather for
// each scenario of bench/gather, ROUNDS rounds (after one warm-up round), and prints one JSON
// object: { rtt: number[], <scenario>: { first, srflx, relay, done, candidates }[] }.
// usage: node in-lab.mjs '{"server":"203.0.113.10","port":3478,"turn":"turn:u:p@...","unreachable":"203.0.113.99:3478","stunTimeout":1000,"rounds":10}'
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { gatherCandidates } from '@p2pcat/gather';
import { stunBinding } from '@p2pcat/stun';

const cfg = JSON.parse(process.argv[2] ?? '{}');
const stun = `${cfg.server}:${cfg.port}`;

/** One STUN round trip from a fresh socket (what one server-reflexive candidate costs at least). */
async function rtt() {
  const socket = createSocket('udp4');
  await new Promise((r) => socket.bind(0, r));
  try {
    const t0 = performance.now();
    const [res] = await stunBinding([stun], { socket, deadline: 3000 });
    const wall = performance.now() - t0;
    if (!res?.mapped) throw new Error(`no STUN answer from ${stun}: ${res?.error?.message}`);
    return res.rtt ?? wall;
  } finally {
    socket.close();
  }
}

/** One gathering, timed from the call: first candidate, last srflx, relay, end-of-candidates. */
async function gather(options) {
  const t0 = performance.now();
  const g = gatherCandidates({ portMapping: false, timeout: 3000, ...options });
  const times = { first: -1, srflx: -1, relay: -1, done: -1 };
  g.on('candidate', (c) => {
    const t = performance.now() - t0;
    if (times.first < 0) times.first = t;
    if (c.type === 'srflx') times.srflx = t;
    if (c.type === 'relay') times.relay = t;
  });
  const candidates = await g.done;
  times.done = performance.now() - t0;
  const failures = g.failures.map((f) => `${f.source}: ${f.message}`);
  await g.close();
  return { ...times, candidates: candidates.map((c) => `${c.type} ${c.address}:${c.port}`), failures };
}

const scenarios = {
  stun: { stunServers: [stun] },
  unreachable: { stunServers: [cfg.unreachable, stun], stunTimeout: cfg.stunTimeout },
  turn: { turnServers: [cfg.turn] },
  both: { stunServers: [stun], turnServers: [cfg.turn] },
};
const out = { rtt: [] };
for (const name of Object.keys(scenarios)) out[name] = [];
const entries = Object.entries(scenarios);
for (let i = -1; i < cfg.rounds; i++) {
  const r = await rtt();
  if (i >= 0) out.rtt.push(r);
  // rotate the order each round so that no scenario always follows the same one (e.g. the idle
  // second of the unreachable-server scenario)
  const k = Math.max(0, i) % entries.length;
  for (const [name, options] of [...entries.slice(k), ...entries.slice(0, k)]) {
    const res = await gather(options);
    if (i >= 0) out[name].push(res);
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
