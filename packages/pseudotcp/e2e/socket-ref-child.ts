// Child process of socket-ref.test.ts: two pseudo-TCP streams over udpTransport on two loopback
// sockets, connected, 1 MiB moved (read with UDP GRO on the native path), then left idle with no
// timer of their own (idleTimeout: false). What keeps the process alive then is the sockets' ref
// state, which the mode sets:
//   unref        socket.unref() on both once idle: the process must exit by itself.
//   unref-early  socket.unref() before the transports exist: the same.
//   ref          left referenced: the process stays alive until an unreferenced timer closes the
//                streams (it prints 'closing'); then it exits.
//   unref-ref    unref() then ref() again: as 'ref'.
//   released-unref  the streams are destroyed (the sockets stay open, node:dgram reads them
//                again), then socket.unref(): the process must exit by itself.
//   released-ref    the same, left referenced: alive until the timer closes the sockets.
// Prints 'native=<bool>' and 'idle' on its standard output.
import { createSocket, type Socket } from 'node:dgram';
import { createPseudoTcpStream } from '../src/node/stream.js';
import { udpTransport } from '../src/node/transport.js';

const mode = process.argv[2] ?? 'unref';

async function bound(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

const a = await bound();
const b = await bound();
if (mode === 'unref-early') {
  a.unref();
  b.unref();
}
const released = mode.startsWith('released-');
const ta = udpTransport(a, { address: '127.0.0.1', port: b.address().port }, { closeSocket: !released });
const tb = udpTransport(b, { address: '127.0.0.1', port: a.address().port }, { closeSocket: !released });
process.stdout.write(`native=${ta.native && tb.native}\n`);
const sender = createPseudoTcpStream(ta, { idleTimeout: false });
const receiver = createPseudoTcpStream(tb, { idleTimeout: false, connect: false });
const size = 1024 * 1024;
let got = 0;
const received = new Promise<void>((resolve) =>
  receiver.on('data', (c: Buffer) => {
    got += c.length;
    if (got === size) resolve();
  }),
);
sender.write(Buffer.alloc(size, 7));
await received;
// Every byte acknowledged: no retransmission timer is left (and no keepalive: idleTimeout false).
await new Promise((r) => setTimeout(r, 200));
if (released) {
  // Reset: both cores close at once and hand their transports back.
  sender.destroy();
  receiver.destroy();
  await new Promise((r) => setTimeout(r, 100));
}
if (mode === 'unref' || mode === 'unref-ref' || mode === 'released-unref') {
  a.unref();
  b.unref();
}
if (mode === 'unref-ref') {
  a.ref();
  b.ref();
}
process.stdout.write('idle\n');
// Fires only if something else keeps the process alive that long.
setTimeout(() => {
  process.stdout.write('closing\n');
  sender.destroy();
  receiver.destroy();
  if (released) {
    a.close();
    b.close();
  }
}, 1500).unref();
