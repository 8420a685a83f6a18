// Benchmark: data relayed through coturn on loopback by @p2pcat/turn, ChannelData versus Send
// indications, against plain UDP between two sockets on loopback (the reference, same run).
// Figures: throughput (MB/s of payload delivered), CPU ms per MB in this process (client side, both
// allocations) and in coturn. Bounded: MB per mode from argv[2] (default 100).
// Run: cd bench/turn-relay && npx tsx run.ts [MB]
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import type { TransportAddress } from '@p2pcat/stun';
import { TurnSocket } from '@p2pcat/turn';
import { type Coturn, startCoturn } from '../../packages/turn/e2e/coturn.js';

const MB = Number(process.argv[2] ?? 100);
const PAYLOAD = 1200;
const WINDOW = Number(process.argv[3] ?? 64);
const TOTAL = Math.ceil((MB * 1_000_000) / PAYLOAD);

interface Result {
  name: string;
  seconds: number;
  mbps: number;
  clientCpuMsPerMb: number;
  serverCpuMsPerMb: number | undefined;
  lossPercent: number;
}

function procCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
    return (ticks * 1000) / 100; // USER_HZ = 100
  } catch {
    return undefined;
  }
}

/**
 * Windowed sender: at most WINDOW datagrams in flight, judged by the receiver's counter (same process).
 * A stall of 20 ms counts the in-flight datagrams as lost and opens the window again.
 */
async function transfer(
  name: string,
  send: (data: Uint8Array) => void,
  onReceive: (cb: (n: number) => void) => void,
  serverPid: number | undefined,
): Promise<Result> {
  let received = 0;
  let receivedBytes = 0;
  let wake: (() => void) | undefined;
  onReceive((n) => {
    received++;
    receivedBytes += n;
    if (wake) {
      const w = wake;
      wake = undefined;
      w();
    }
  });
  const payload = new Uint8Array(PAYLOAD).fill(0x5a);
  let sent = 0;
  let lostAllowance = 0;
  const cpu0 = process.cpuUsage();
  const srv0 = procCpuMs(serverPid);
  const t0 = performance.now();
  while (sent < TOTAL) {
    while (sent < TOTAL && sent - received - lostAllowance < WINDOW) {
      send(payload);
      sent++;
    }
    const before = received;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, 20);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (received === before) lostAllowance = sent - received;
  }
  // drain
  const drainUntil = performance.now() + 200;
  while (received + lostAllowance < sent && performance.now() < drainUntil)
    await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const srv1 = procCpuMs(serverPid);
  const mb = receivedBytes / 1_000_000;
  return {
    name,
    seconds,
    mbps: mb / seconds,
    clientCpuMsPerMb: (cpu.user + cpu.system) / 1000 / mb,
    serverCpuMsPerMb: srv0 !== undefined && srv1 !== undefined ? (srv1 - srv0) / mb : undefined,
    lossPercent: (100 * (sent - received)) / sent,
  };
}

async function plainUdp(): Promise<Result> {
  const a = dgram.createSocket('udp4');
  const b = dgram.createSocket('udp4');
  await Promise.all([
    new Promise<void>((r) => a.bind(0, '127.0.0.1', () => r())),
    new Promise<void>((r) => b.bind(0, '127.0.0.1', () => r())),
  ]);
  const port = b.address().port;
  const r = await transfer(
    'plain UDP (reference)',
    (d) => a.send(d, port, '127.0.0.1'),
    (cb) => b.on('message', (m) => cb(m.length)),
    undefined,
  );
  a.close();
  b.close();
  return r;
}

async function relayed(coturn: Coturn, channels: boolean): Promise<Result> {
  const server: TransportAddress = { family: 'IPv4', address: '127.0.0.1', port: coturn.port };
  const opts = { server, username: coturn.username, password: coturn.password, channels };
  const a = new TurnSocket(opts);
  const b = new TurnSocket(opts);
  const [ra, rb] = await Promise.all([a.allocate(), b.allocate()]);
  await Promise.all([a.createPermission(rb.relayedAddress), b.createPermission(ra.relayedAddress)]);
  if (channels) await a.bindChannel(rb.relayedAddress);
  const r = await transfer(
    channels ? 'coturn relay, ChannelData' : 'coturn relay, Send/Data indications',
    (d) => a.send(d, rb.relayedAddress),
    (cb) => b.on('message', (m: Uint8Array) => cb(m.length)),
    coturn.pid(),
  );
  await Promise.all([a.close(), b.close()]);
  return r;
}

const coturn = await startCoturn();
try {
  const results: Result[] = [];
  results.push(await plainUdp());
  results.push(await relayed(coturn, true));
  results.push(await relayed(coturn, false));
  const ref = results[0]!;
  console.log(`${MB} MB per mode, ${PAYLOAD}-byte datagrams, window ${WINDOW}`);
  console.log('| mode | MB/s | vs plain UDP | client CPU ms/MB | coturn CPU ms/MB | loss % |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.mbps.toFixed(1)} | ${(r.mbps / ref.mbps).toFixed(2)} | ${r.clientCpuMsPerMb.toFixed(2)} | ${
        r.serverCpuMsPerMb === undefined ? '-' : r.serverCpuMsPerMb.toFixed(2)
      } | ${r.lossPercent.toFixed(2)} |`,
    );
  }
} finally {
  await coturn.stop();
}
