// UDP hole punching peer for the e2e tests: binds LOCAL_PORT, sends to PEER_HOST:PEER_PORT every
// 100 ms for 1.5 s, prints "ok" if anything arrived, else "none". PEER_HOST "-" only listens
// (for 1.5 s, or DURATION_MS). An IPv6 PEER_HOST (or LOCAL_ADDRESS) makes it a udp6 socket.
// usage: node punch-peer.mjs LOCAL_PORT PEER_HOST PEER_PORT [DURATION_MS] [LOCAL_ADDRESS]
import dgram from 'node:dgram';

const [localPort, peerHost, peerPort, duration, localAddress] = process.argv.slice(2);
const v6 = (peerHost ?? '').includes(':') || (localAddress ?? '').includes(':');
const sock = dgram.createSocket(v6 ? 'udp6' : 'udp4');
let got = 0;
sock.on('message', () => {
  got++;
});
sock.bind(Number(localPort), localAddress, () => {
  const t =
    peerHost === '-' ? undefined : setInterval(() => sock.send('punch', Number(peerPort), peerHost), 100);
  setTimeout(
    () => {
      clearInterval(t);
      console.log(got > 0 ? 'ok' : 'none');
      process.exit(0);
    },
    Number(duration ?? 1500),
  );
});
