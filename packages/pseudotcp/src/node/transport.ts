// The datagram transport a pseudo-TCP stream runs over: anything that sends a datagram and
// reports the datagrams that arrive (a UDP socket, an ICE agent's selected pair, a TURN channel).
import type { Socket } from 'node:dgram';
import { type ForeignSource, udpBatch } from './udp-batch.js';

/** What a pseudo-TCP stream sends and receives datagrams through. */
export interface DatagramTransport {
  /** Sends one datagram to the peer. Losing it is allowed: pseudo-TCP retransmits. */
  send(data: Uint8Array): void;
  /**
   * Optional: sends `datagrams[0..count)` to the peer, in order, as `send` would one by one but in
   * fewer system calls. The stream uses it, when present, for what it has to send at one time.
   * The array is the caller's again when it returns. Returns true when no datagram given to the
   * transport so far (this batch or an earlier one) will still be read: their bytes were copied
   * (the caller may overwrite that memory); false when some wait for an asynchronous send.
   */
  sendBatch?(datagrams: readonly Uint8Array[], count: number): boolean;
  /**
   * Registers a listener for every datagram from the peer; returns a function that removes it.
   * The bytes passed to the listener may be a view into a buffer the transport reuses: they are
   * valid until the listener returns (copy them to keep them).
   */
  onMessage(listener: (data: Uint8Array) => void): () => void;
  /** Called once when the stream is completely closed and will not send again. */
  close?(): void;
}

/** Options of `udpTransport`. */
export interface UdpTransportOptions {
  /** Close the socket when the stream is done with it. Default true. */
  closeSocket?: boolean;
  /**
   * Raise the socket's receive and send buffers to at least this many bytes (the kernel caps it at
   * net.core.rmem_max / wmem_max). Default 4 MiB: the usual 208 KiB default drops datagrams in
   * bursts at tens of MB/s. 0 leaves the socket as it is. Needs a bound socket.
   */
  socketBufferSize?: number;
  /**
   * Use the native addon (sendmmsg/recvmmsg, Linux) when it is built and loads. Default true;
   * `P2PCAT_NO_NATIVE=1` in the environment turns it off for the whole process. Without it, every
   * datagram goes through node:dgram. The transport's `native` says which path it took.
   */
  native?: boolean;
}

/** The transport `udpTransport` returns. */
export interface UdpTransport extends DatagramTransport {
  /**
   * Whether this transport sends and receives through the native addon (batched system calls)
   * rather than node:dgram alone. Both are the same on the wire.
   */
  readonly native: boolean;
}

/** What `enlargeSocketBuffers` asks for unless told otherwise: 4 MiB each way. */
export const DEFAULT_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Raises a bound UDP socket's receive and send buffers to at least `bytes` each (the kernel caps
 * the request at net.core.rmem_max / wmem_max); never lowers them. Pseudo-TCP sends bursts of up to
 * its window (MiBs): with the usual 208 KiB receive buffer the kernel drops datagrams in bursts at
 * tens of MB/s (p2pcat measured 3 % RcvbufErrors on loopback), and every drop costs a recovery.
 * Returns the error when the sizes could not be changed (an unbound socket, a refusal), else
 * undefined: the socket then keeps the system's sizes.
 */
export function enlargeSocketBuffers(socket: Socket, bytes = DEFAULT_SOCKET_BUFFER_BYTES): Error | undefined {
  try {
    if (socket.getRecvBufferSize() < bytes) socket.setRecvBufferSize(bytes);
    if (socket.getSendBufferSize() < bytes) socket.setSendBufferSize(bytes);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/**
 * A transport over a bound `node:dgram` socket, talking to one remote address. Datagrams from
 * any other address or port are ignored.
 */
export function udpTransport(
  socket: Socket,
  remote: { address: string; port: number },
  options: UdpTransportOptions = {},
): UdpTransport {
  const closeSocket = options.closeSocket ?? true;
  const bufferSize = options.socketBufferSize ?? DEFAULT_SOCKET_BUFFER_BYTES;
  // Not bound yet, or not permitted: the system's sizes stay.
  if (bufferSize > 0) enlargeSocketBuffers(socket, bufferSize);
  let inFlight = 0;
  let closing = false;
  const closeNow = () => {
    try {
      socket.close();
    } catch {
      // already closed
    }
  };
  // One callback for every send (no closure per datagram). A send error (e.g. a full socket
  // buffer) is a lost datagram; pseudo-TCP recovers.
  const sent = () => {
    inFlight--;
    if (closing && inFlight === 0) closeNow();
  };
  const sendOne = (data: Uint8Array) => {
    if (closing) return;
    inFlight++;
    try {
      socket.send(data, remote.port, remote.address, sent);
    } catch {
      // the socket was closed under us: nothing more can be sent
      sent();
    }
  };
  const batch = options.native === false ? undefined : udpBatch(socket, remote);
  const listeners = new Set<(data: Uint8Array) => void>();
  const deliver = (data: Uint8Array) => {
    for (const l of listeners) l(data);
  };
  // Datagrams from other addresses that a native drain read go to the socket's other listeners.
  const foreign = (data: Buffer, rinfo: ForeignSource) => socket.emit('message', data, rinfo);
  let draining = false;
  const drain = () => {
    if (batch === undefined || listeners.size === 0 || draining) return;
    draining = true;
    try {
      batch.drain(deliver, foreign);
    } finally {
      draining = false;
    }
  };
  // With the addon the socket is read with UDP GRO, through its own readiness watch (node:dgram
  // stops reading); until that is possible (not bound yet) or where it is not (an older kernel),
  // node:dgram reads and the addon drains the rest of the queue after each of its datagrams.
  let reading = false;
  const takeOverReading = () => {
    if (batch === undefined || reading || listeners.size === 0) return;
    reading = batch.takeOverReading(drain);
  };
  const giveBackReading = () => {
    if (batch === undefined || !reading) return;
    reading = false;
    draining = true;
    try {
      batch.giveBackReading(() => {}, foreign); // the stream is gone: its datagrams are dropped
    } finally {
      draining = false;
    }
  };
  const onSocketMessage = (msg: Buffer, rinfo: { address: string; port: number }) => {
    if (draining) return; // one the drain set aside as foreign: not ours
    if (rinfo.port === remote.port && sameAddress(rinfo.address, remote.address)) deliver(msg);
    // node:dgram hands over one datagram per callback; the rest of the queue comes in one read.
    takeOverReading();
    drain();
  };
  socket.once('close', () => giveBackReading());
  return {
    native: batch !== undefined,
    send: sendOne,
    sendBatch(datagrams, count) {
      if (closing) return inFlight === 0;
      // While node:dgram still holds earlier datagrams, later ones queue behind them (order kept).
      const done = batch !== undefined && inFlight === 0 ? batch.send(datagrams, count) : 0;
      // The rest (socket buffer full, no fd yet, or no addon) goes through node:dgram, which waits
      // for the socket to become writable, reading the datagrams' memory then.
      for (let i = done; i < count; i++) sendOne(datagrams[i] as Uint8Array);
      // sendmmsg copied what it sent into the kernel; it ran only with nothing left in node:dgram.
      return done === count && inFlight === 0;
    },
    onMessage(listener) {
      if (listeners.size === 0) socket.on('message', onSocketMessage);
      listeners.add(listener);
      takeOverReading();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          giveBackReading();
          socket.off('message', onSocketMessage);
        }
      };
    },
    close() {
      giveBackReading();
      if (!closeSocket || closing) return;
      closing = true;
      // The last segments (an RST, the final ACK) are still on their way to the socket.
      if (inFlight === 0) closeNow();
    },
  };
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const strip = (x: string) => (x.startsWith('::ffff:') ? x.slice(7) : x);
  return strip(a) === strip(b) || (strip(a) === '127.0.0.1' && b === 'localhost');
}
