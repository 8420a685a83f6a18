// STUN Binding server benchmark: our stun-server (a separate Node process) against coturn, on
// loopback UDP, same load generator, same run. Figures: Binding answers per second with 64
// requests outstanding, and the median round trip with one outstanding.
// Run: cd bench/stun-server && npx tsx run.ts   (build first: npx turbo run build --filter=@p2pcat/stun --filter=@p2pcat/natlab)
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCoturn } from '@p2pcat/natlab';
import { StunMessageBuilder, StunMethod } from '@p2pcat/stun';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const WINDOW = 64;

interface Figures {
  perSecond: number;
  medianRttUs: number;
}

async function load(port: number): Promise<Figures> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const requests = Array.from({ length: 4096 }, () =>
    new StunMessageBuilder('request', StunMethod.Binding).build(),
  );
  let next = 0;
  const send = () => socket.send(requests[next++ % requests.length]!, port, '127.0.0.1');

  // Round trips, one at a time.
  const rtts: number[] = [];
  await new Promise<void>((resolve) => {
    let sentAt = 0;
    const one = () => {
      sentAt = performance.now();
      send();
    };
    socket.on('message', () => {
      rtts.push((performance.now() - sentAt) * 1000);
      if (rtts.length >= 500) resolve();
      else one();
    });
    one();
  });
  socket.removeAllListeners('message');

  // Throughput with WINDOW outstanding; a lost datagram is replaced after 50 ms of silence.
  let answered = 0;
  let outstanding = 0;
  const started = performance.now();
  let stop = false;
  await new Promise<void>((resolve) => {
    let last = performance.now();
    socket.on('message', () => {
      answered++;
      outstanding--;
      last = performance.now();
      if (!stop) {
        outstanding++;
        send();
      }
    });
    for (; outstanding < WINDOW; outstanding++) send();
    const watchdog = setInterval(() => {
      if (performance.now() - last > 50 && !stop) {
        outstanding = WINDOW;
        for (let i = 0; i < WINDOW; i++) send();
        last = performance.now();
      }
    }, 25);
    setTimeout(() => {
      stop = true;
      clearInterval(watchdog);
      resolve();
    }, DURATION_MS);
  });
  const elapsed = (performance.now() - started) / 1000;
  socket.close();
  rtts.sort((a, b) => a - b);
  return { perSecond: answered / elapsed, medianRttUs: rtts[Math.floor(rtts.length / 2)] ?? Number.NaN };
}

async function ours(): Promise<Figures> {
  const dist = dirname(fileURLToPath(import.meta.resolve('@p2pcat/stun')));
  const child = spawn(
    process.execPath,
    [join(dist, 'bin', 'stun-server.js'), '--listen', '127.0.0.1:0', '--no-tcp'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        const m = /listening on \S+ 127\.0\.0\.1:(\d+)/.exec(d.toString());
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`stun-server exited with ${code}`)));
    });
    return await load(port);
  } finally {
    child.kill('SIGTERM');
  }
}

async function coturn(): Promise<Figures> {
  const c = await startCoturn({ tls: false });
  try {
    return await load(c.port);
  } finally {
    await c.stop();
  }
}

const a = await ours();
const b = await coturn();
const fmt = (n: number) => n.toFixed(0).padStart(9);
console.log(`STUN Binding server on loopback UDP, ${DURATION_MS} ms at ${WINDOW} outstanding`);
console.log('                     answers/s   median RTT (us, 1 outstanding)');
console.log(`@p2pcat/stun        ${fmt(a.perSecond)}   ${fmt(a.medianRttUs)}`);
console.log(`coturn (reference)  ${fmt(b.perSecond)}   ${fmt(b.medianRttUs)}`);
console.log(
  `ratio ours/coturn   ${(a.perSecond / b.perSecond).toFixed(2)}x throughput, ${(a.medianRttUs / b.medianRttUs).toFixed(2)}x RTT`,
);
