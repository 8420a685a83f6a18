// Our side of the process-pair benchmark (issue 18), the counterpart of lean-peer.c: standard
// input into a pseudo-TCP stream over UDP, or the stream to standard output. Plain Node (no tsx):
//   node pipe-peer.mjs send <localPort> <remoteHost> <remotePort>
//   node pipe-peer.mjs receive <localPort> <remoteHost> <remotePort>
// Defaults of @p2pcat/pseudotcp (MTU 1400); 4 MiB UDP socket buffers (udpTransport's default).
// stderr: "PORT <n>" once bound; on the receiver "RESULT bytes=<n> ms=<t>" (first byte to end of stream), then "DONE".
// PSEUDOTCP_MODULE points at the build to measure (run.ts / pipe.ts set it).
import { createSocket } from 'node:dgram';
import { pipeline } from 'node:stream/promises';

const { createPseudoTcpStream, udpTransport } = await import(
  process.env.PSEUDOTCP_MODULE ?? '@p2pcat/pseudotcp'
);
const [mode, localPort, remoteHost, remotePort] = process.argv.slice(2);

const sock = createSocket('udp4');
await new Promise((r) => sock.bind(Number(localPort), r));
process.stderr.write(`PORT ${sock.address().port}\n`);
const stream = createPseudoTcpStream(udpTransport(sock, { address: remoteHost, port: Number(remotePort) }));
await new Promise((r, j) => {
  stream.once('connect', r);
  stream.once('error', j);
});
if (mode === 'send') {
  stream.resume(); // the peer's FIN must be read for the stream to end and close
  await pipeline(process.stdin, stream);
} else {
  let bytes = 0;
  let first = 0;
  stream.on('data', (c) => {
    if (first === 0) first = performance.now();
    bytes += c.length;
  });
  await pipeline(stream, process.stdout);
  process.stderr.write(`RESULT bytes=${bytes} ms=${Math.round(performance.now() - first)}\n`);
}
await new Promise((r) => (stream.closed ? r(null) : stream.once('close', r)));
process.stderr.write('DONE\n');
