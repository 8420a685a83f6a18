// UDP round-trip probe for the e2e tests (ping is not installed everywhere).
// usage: node udp-ping.mjs server PORT [ADDRESS] | node udp-ping.mjs client HOST PORT COUNT [INTERVAL_MS]
// client prints a JSON array of round-trip times in ms
import dgram from 'node:dgram';

const [mode, a, b, c, d] = process.argv.slice(2);
// an IPv6 address (server ADDRESS or client HOST) makes it a udp6 socket
const sock = dgram.createSocket(((mode === 'server' ? b : a) ?? '').includes(':') ? 'udp6' : 'udp4');
if (mode === 'server') {
  sock.on('message', (m, r) => sock.send(m, r.port, r.address));
  sock.bind(Number(a), b, () => console.log('ready'));
} else {
  const count = Number(c);
  const interval = Number(d ?? 50);
  const rtts = [];
  let sent = 0;
  const done = () => {
    console.log(JSON.stringify(rtts));
    process.exit(0);
  };
  sock.on('message', (m) => {
    rtts.push(Number(process.hrtime.bigint() - m.readBigUInt64BE(0)) / 1e6);
    if (rtts.length === count) done();
  });
  const tick = () => {
    const buf = Buffer.alloc(8);
    buf.writeBigUInt64BE(process.hrtime.bigint());
    sock.send(buf, Number(b), a);
    if (++sent < count) setTimeout(tick, interval);
  };
  tick();
  setTimeout(done, 3000 + count * interval);
}
