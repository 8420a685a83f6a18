// Runs inside the LAN host namespace: times mapPort per method (map, then delete), N rounds.
import { performance } from 'node:perf_hooks';
import { mapPort } from '@p2pcat/upnp';

const rounds = Number(process.argv[2] ?? 10);
const methods = [['pcp'], ['nat-pmp'], ['upnp-igd'], undefined];
const out = {};
let port = 41000;
for (let i = 0; i < rounds; i++) {
  for (const m of methods) {
    const name = m ? m[0] : 'race';
    const t0 = performance.now();
    const mapping = await mapPort({ internalPort: port++, methods: m, lifetime: 600, autoRenew: false });
    const mapped = performance.now() - t0;
    const t1 = performance.now();
    await mapping.close();
    const closed = performance.now() - t1;
    out[name] = [...(out[name] ?? []), { mapped, closed, won: mapping.method }];
  }
}
process.stdout.write(JSON.stringify(out));
