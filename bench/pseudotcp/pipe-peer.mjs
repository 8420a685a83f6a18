// Our side of the process-pair benchmark (issue 18), the counterpart of lean-peer.c: standard
// input into a pseudo-TCP stream over UDP, or the stream to standard output. Plain Node (no tsx):
//   node pipe-peer.mjs send <localPort> <remoteHost> <remotePort>
//   node pipe-peer.mjs receive <localPort> <remoteHost> <remotePort>
// Defaults of @p2pcat/pseudotcp (MTU 1400); 4 MiB UDP socket buffers (udpTransport's default).
// stderr: "PORT <n>" once bound, "NATIVE true|false" (the I/O path); on the receiver "RESULT bytes=<n> ms=<t>" (first byte to end of stream), then "DONE".
// PSEUDOTCP_MODULE points at the build to measure (run.ts / pipe.ts set it).
import { createSocket } from 'node:dgram';
import { fstatSync, read, readSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';

const { createPseudoTcpStream, udpTransport } = await import(
  process.env.PSEUDOTCP_MODULE ?? '@p2pcat/pseudotcp'
);
const [mode, localPort, remoteHost, remotePort] = process.argv.slice(2);

// The address is an IP literal: a lookup that answers at once spares node:dgram its deferral of
// every send to the next tick (dns.lookup answers a literal through process.nextTick), about a
// tenth of the sender's CPU. PSEUDOTCP_DNS_LOOKUP=1 keeps Node's default, for comparison.
const sock = createSocket(
  process.env.PSEUDOTCP_DNS_LOOKUP === '1'
    ? 'udp4'
    : { type: 'udp4', lookup: (address, _options, callback) => callback(null, address, 4) },
);
await new Promise((r) => sock.bind(Number(localPort), r));
process.stderr.write(`PORT ${sock.address().port}\n`);
const transport = udpTransport(sock, { address: remoteHost, port: Number(remotePort) });
// Which I/O path ran: the native addon (sendmmsg/recvmmsg) or node:dgram alone (P2PCAT_NO_NATIVE=1,
// or a build without the addon). Older builds have no `native`.
process.stderr.write(`NATIVE ${transport.native === true}\n`);
const stream = createPseudoTcpStream(
  transport,
  JSON.parse(process.env.PSEUDOTCP_OPTIONS ?? '{}'), // experiments only; the benchmark uses the defaults
);
await new Promise((r, j) => {
  stream.once('connect', r);
  stream.once('error', j);
});
if (mode === 'send') {
  stream.resume(); // the peer's FIN must be read for the stream to end and close
  await copyStdin(stream);
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

/**
 * Standard input into the stream through two reused 1 MiB buffers, as the C peer reads into one
 * static buffer: process.stdin allocates fresh memory for every 64 KiB chunk, and touching 200 MiB
 * of new pages cost more CPU than the reads themselves. A buffer is reused only after the write
 * callback, when pseudo-TCP has copied all of it into its send buffer.
 */
async function copyStdin(out) {
  const buffers = [Buffer.allocUnsafe(1 << 20), Buffer.allocUnsafe(1 << 20)];
  // A regular file is read as the C peer reads it, in the loop itself (it never waits long); a
  // pipe goes through libuv's thread pool.
  const readInto = fstatSync(0).isFile()
    ? async (b) => readSync(0, b, 0, b.length, null)
    : (b) => new Promise((r, j) => read(0, b, 0, b.length, null, (e, n) => (e ? j(e) : r(n))));
  let i = 0;
  let n = await readInto(buffers[0]);
  let written = Promise.resolve();
  while (n > 0) {
    const chunk = buffers[i].subarray(0, n);
    await written;
    written = new Promise((r, j) => out.write(chunk, (e) => (e ? j(e) : r())));
    i ^= 1;
    n = await readInto(buffers[i]); // overlaps with the write of the other buffer
  }
  await written;
  await new Promise((r, j) => {
    out.once('error', j);
    out.end(r);
  });
}
