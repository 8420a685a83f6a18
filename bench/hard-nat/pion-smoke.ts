// Smoke check of the pion/ice reference peer, outside the lab: two peers on loopback exchange
// descriptions, select a pair and echo a datagram. Not part of CI (the Go build alone takes 10-20 s
// on a cold cache); run it after changing pion-peer/:  npx tsx pion-smoke.ts
// Prints one line; skips with the reason when Go or Debian's pion/ice sources are missing.
import { spawn } from 'node:child_process';
import { buildPionPeer, PionPeer } from './pion-peer.ts';

async function main(): Promise<number> {
  const build = buildPionPeer();
  if (!build.binary) {
    console.log(`pion smoke skipped: ${build.skip}`);
    return 0;
  }
  const start = (cmd: string, args: string[]) => spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const a = new PionPeer(build.binary, true, '127.0.0.1', {}, start);
  const b = new PionPeer(build.binary, false, '127.0.0.1', {}, start);
  try {
    const [da, db] = await Promise.all([a.description, b.description]);
    a.setRemote(db);
    b.setRemote(da);
    const [sa, sb] = await Promise.all([a.waitFor('selected', 10_000), b.waitFor('selected', 10_000)]);
    await a.waitFor('ready', 5_000);
    a.send('ping');
    await a.waitFor('recv echo:ping', 5_000);
    console.log(`pion smoke ok: selected "${sa}" / "${sb}", echo received`);
    return 0;
  } catch (e) {
    console.log(`pion smoke FAILED: ${(e as Error).message}`);
    return 1;
  } finally {
    a.close();
    b.close();
  }
}

main().then((code) => process.exit(code));
