// Numbered UDP datagrams for the reordering e2e tests.
// usage: node udp-seq.mjs receive PORT COUNT   -> prints "ready", then once COUNT datagrams came
//          (or 1.5 s after the last one) a JSON { received, duplicates, late: [seq...], order: [seq...] }
//          where late lists each datagram that arrived after one with a higher number
//        node udp-seq.mjs send HOST PORT COUNT BURST INTERVAL_MS
//          -> COUNT datagrams numbered 0.., BURST of them every INTERVAL_MS
import dgram from 'node:dgram';

const [mode, ...args] = process.argv.slice(2);
const sock = dgram.createSocket('udp4');
if (mode === 'receive') {
  const [port, count] = args.map(Number);
  const seen = new Set();
  const order = [];
  const late = [];
  let duplicates = 0;
  let max = -1;
  let idle;
  const done = () => {
    console.log(JSON.stringify({ received: seen.size, duplicates, late, order }));
    process.exit(0);
  };
  sock.on('message', (m) => {
    const seq = m.readUInt32BE(0);
    if (seen.has(seq)) duplicates++;
    seen.add(seq);
    order.push(seq);
    if (seq < max) late.push(seq);
    max = Math.max(max, seq);
    clearTimeout(idle);
    if (seen.size === count) done();
    idle = setTimeout(done, 1500);
  });
  sock.bind(port, () => console.log('ready'));
  setTimeout(done, 30_000);
} else {
  const [host, port, count, burst, interval] = [args[0], ...args.slice(1).map(Number)];
  let seq = 0;
  const tick = () => {
    for (let i = 0; i < burst && seq < count; i++) {
      const buf = Buffer.alloc(32);
      buf.writeUInt32BE(seq++);
      sock.send(buf, port, host);
    }
    if (seq < count) setTimeout(tick, interval);
    else setTimeout(() => process.exit(0), 100);
  };
  tick();
}
