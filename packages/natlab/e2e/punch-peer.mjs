// UDP hole punching peer for the e2e tests: binds LOCAL_PORT, sends to PEER_HOST:PEER_PORT every
// 100 ms for 1.5 s, prints "ok" if anything arrived, else "none".
// usage: node punch-peer.mjs LOCAL_PORT PEER_HOST PEER_PORT
import dgram from 'node:dgram';

const [localPort, peerHost, peerPort] = process.argv.slice(2);
const sock = dgram.createSocket('udp4');
let got = 0;
sock.on('message', () => {
  got++;
});
sock.bind(Number(localPort), () => {
  const t = setInterval(() => sock.send('punch', Number(peerPort), peerHost), 100);
  setTimeout(() => {
    clearInterval(t);
    console.log(got > 0 ? 'ok' : 'none');
    process.exit(0);
  }, 1500);
});
