// Batched sends on someone else's UDP socket (issue 18): the addon's sendmmsg (native/udp-batch.c)
// for a datagram transport that is not udpTransport, such as an ICE connection's selected pair
// (`@p2pcat/ice`'s `batchSend` option). Pseudo-TCP may then reuse its datagram memory at once.
import type { Socket } from 'node:dgram';
import { type UdpBatch, udpBatch, udpBatchAddon } from './udp-batch.js';

/**
 * Sends `datagrams[0..count)` to `destination` from a bound node:dgram `socket` in as few system
 * calls as the kernel allows; returns how many it sent (the kernel copied them). The caller sends
 * the rest itself (a full socket buffer, or a socket without a file descriptor yet).
 */
export type NativeBatchSend = (
  socket: Socket,
  destination: { address: string; port: number },
  datagrams: readonly Uint8Array[],
  count: number,
) => number;

/** How many destinations each socket keeps a prepared sender for (an ICE pair changes rarely). */
const DESTINATIONS_PER_SOCKET = 4;

/**
 * A batch sender over the native addon (Linux), or undefined when it is not available (another
 * platform, not built, `P2PCAT_NO_NATIVE=1`): the caller then sends through node:dgram.
 */
export function nativeBatchSend(): NativeBatchSend | undefined {
  if (udpBatchAddon() === undefined) return undefined;
  const senders = new WeakMap<Socket, Map<string, UdpBatch | null>>();
  return (socket, destination, datagrams, count) => {
    let bySocket = senders.get(socket);
    if (bySocket === undefined) {
      bySocket = new Map();
      senders.set(socket, bySocket);
    }
    const key = `${destination.address}|${destination.port}`;
    let sender = bySocket.get(key);
    if (sender === undefined) {
      if (bySocket.size >= DESTINATIONS_PER_SOCKET) bySocket.clear();
      // One datagram per message: the peer is an ICE agent reading one datagram at a time, and
      // runs sent as one segmented (GSO) message reached it as bursts its socket buffer dropped
      // (bench/p2pcat, 50 ms RTT path: 15k receive-buffer drops per 400 MiB against 2k).
      sender = udpBatch(socket, destination, { segmentation: false }) ?? null; // null: not an IP literal
      bySocket.set(key, sender);
    }
    return sender === null ? 0 : sender.send(datagrams, count);
  };
}
