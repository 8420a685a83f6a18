// Batched UDP I/O for udpTransport (issue 18): the optional native addon (native/udp-batch.c) that
// sends many datagrams in one sendmmsg(2) (runs of equal-sized ones as one UDP_SEGMENT message
// each) and drains a socket's queue in one recvmmsg(2), on the fd of a node:dgram socket. Loaded once; when it is missing, cannot load (another platform, another
// libc) or P2PCAT_NO_NATIVE=1, nothing here is used and udpTransport stays on node:dgram alone.
import type { Socket } from 'node:dgram';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';

/** The functions of native/udp-batch.c. */
interface UdpBatchAddon {
  sockaddr(ip: string, port: number, ipv6Socket: boolean): Uint8Array | null;
  sendmmsg(
    fd: number,
    sockaddr: Uint8Array,
    datagrams: readonly Uint8Array[],
    start: number,
    count: number,
    segment?: boolean,
  ): number;
  recvmmsg(
    fd: number,
    slab: Uint8Array,
    slotSize: number,
    max: number,
    expected: Uint8Array,
    lengths: Int32Array,
    sources: Uint8Array,
    segments?: Int32Array,
  ): number;
  peer(sources: Uint8Array, index: number): [address: string, port: number, family: string] | null;
  gso(on?: boolean): boolean;
  gro(fd: number, on: boolean): number;
  watch(fd: number, callback: () => void): object | null;
  unwatch(handle: object): void;
  watchRef(handle: object, on: boolean): void;
  chunk(length: number): Buffer | null;
  chunkUse(delta: number): number;
  chunkBytes: number;
  maxBatch: number;
}

let addon: UdpBatchAddon | null | undefined;

/** The addon, or undefined when the JavaScript path must be used. */
export function udpBatchAddon(): UdpBatchAddon | undefined {
  if (addon === undefined) addon = loadAddon();
  return addon ?? undefined;
}

function loadAddon(): UdpBatchAddon | null {
  if (process.env.P2PCAT_NO_NATIVE === '1' || process.platform !== 'linux') return null;
  const require = createRequire(import.meta.url);
  const file = `native/${process.platform}-${process.arch}/udp-batch.node`;
  // dist/node/udp-batch.js (the package as installed), src/node/udp-batch.ts (tests run the
  // sources), or this code bundled into another file (p2pcat's bundle): the installed package's.
  const candidates = [`../${file}`, `../../dist/${file}`];
  try {
    candidates.push(join(dirname(require.resolve('@p2pcat/pseudotcp/package.json')), 'dist', file));
  } catch {
    // not installed as a package here (its own tests): the relative places only
  }
  for (const candidate of candidates) {
    try {
      const m = require(candidate) as UdpBatchAddon;
      if (
        typeof m.sendmmsg === 'function' &&
        typeof m.recvmmsg === 'function' &&
        typeof m.watch === 'function' &&
        typeof m.watchRef === 'function' &&
        typeof m.chunkUse === 'function'
      ) {
        // P2PCAT_NO_GSO=1: one datagram per message (for comparison; the wire is the same).
        if (process.env.P2PCAT_NO_GSO === '1') m.gso(false);
        return m;
      }
    } catch {
      // not built here, or built for another system: try the next place, then do without
    }
  }
  return null;
}

// node:dgram keeps a socket's handle under a symbol of its own (kStateSymbol); found once.
let stateSymbol: symbol | undefined;

/** What node:dgram keeps of a socket's libuv handle (UDPWrap) that is used here. */
interface DgramHandle {
  fd?: unknown;
  recvStart?: () => number;
  recvStop?: () => number;
  /** Whether the handle keeps the event loop alive (socket.ref() / unref() set it). */
  hasRef?: () => boolean;
  ref?: () => void;
  unref?: () => void;
}

/** node:dgram's handle of a socket, or undefined (closed, or another Node's internals). */
function socketHandle(socket: Socket): DgramHandle | undefined {
  stateSymbol ??= Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const state = stateSymbol;
  if (state === undefined) return undefined;
  return (
    (socket as unknown as Record<symbol, { handle?: DgramHandle | null } | undefined>)[state]?.handle ??
    undefined
  );
}

/** The kernel file descriptor of a bound node:dgram socket (Linux), or undefined. */
function socketFd(socket: Socket): number | undefined {
  const fd = socketHandle(socket)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

const SLOT = 64 * 1024; // the largest UDP payload fits: nothing is ever cut short
const SOURCE = 32; // bytes per sockaddr in `sources` (sockaddr_in6 is 28)
const DRAIN_LIMIT = 256; // datagrams per drain, so that a flood cannot hold the event loop

/** Batched sends and receives to and from one remote address over a node:dgram socket's fd. */
export interface UdpBatch {
  /**
   * Sends datagrams[0..count) with sendmmsg; returns the index of the first one it did not send
   * (count when all went; fewer when the socket buffer is full), after skipping those the kernel
   * refused with an error other than EAGAIN/ENOBUFS (lost datagrams, as node:dgram's would be).
   */
  send(datagrams: readonly Uint8Array[], count: number): number;
  /**
   * Reads what waits on the socket (up to DRAIN_LIMIT datagrams) and calls `deliver` for each from
   * the remote address, with a view into a reused buffer (valid until `deliver` returns), and
   * `foreign` for each from another address with its own copy. Returns how many were read.
   */
  drain(deliver: (data: Uint8Array) => void, foreign: (data: Buffer, rinfo: ForeignSource) => void): number;
  /**
   * Takes over reading the socket from node:dgram, with UDP GRO (the kernel hands over runs of
   * datagrams in one message, cut apart again here): `onReadable` is called whenever the socket
   * has something to read and must drain() it. Returns false when that is not possible here (no
   * fd yet, GRO refused, P2PCAT_NO_GRO=1): node:dgram then keeps reading and drain() is used
   * after its first datagram, as before.
   */
  takeOverReading(onReadable: () => void): boolean;
  /** Hands reading back to node:dgram (what waits is drained first); does nothing if not taken. */
  giveBackReading(
    deliver: (data: Uint8Array) => void,
    foreign: (data: Buffer, rinfo: ForeignSource) => void,
  ): void;
}

/** The sender of a datagram that did not come from the remote address (node:dgram's rinfo). */
export interface ForeignSource {
  address: string;
  family: string;
  port: number;
  size: number;
}

/**
 * Batched I/O for `socket` talking to `remote`, or undefined when the addon is not available or the
 * remote is not an IP literal. While the socket has no fd (not bound yet, or closed) it sends and
 * reads nothing, and the caller uses node:dgram.
 */
export function udpBatch(
  socket: Socket,
  remote: { address: string; port: number },
  options: { segmentation?: boolean } = {},
): UdpBatch | undefined {
  // Segmentation offload (GSO) sends a run of datagrams as one message: right when the peer reads
  // with GRO (udpTransport), a burst for a peer that reads one datagram at a time (an ICE peer).
  const segment = options.segmentation ?? true;
  const native = udpBatchAddon();
  if (native === undefined) return undefined;
  const ipv6 = (socket as unknown as { type?: string }).type === 'udp6';
  const sockaddr = native.sockaddr(remote.address, remote.port, ipv6);
  if (sockaddr === null) return undefined;
  const max = native.maxBatch;
  let slab: Buffer | undefined; // allocated on the first drain; untouched pages cost no memory
  const lengths = new Int32Array(max);
  const sources = new Uint8Array(max * SOURCE);
  const segments = new Int32Array(max);
  const { EAGAIN, ENOBUFS } = constants.errno;
  let watch: object | undefined; // set while reading with GRO (takeOverReading)
  let stopFollowingRef: (() => void) | undefined;
  let groRefused = process.env.P2PCAT_NO_GRO === '1';
  const drain: UdpBatch['drain'] = (deliver, foreign) => {
    let total = 0;
    while (total < DRAIN_LIMIT) {
      const fd = socketFd(socket); // a listener may have closed the socket
      if (fd === undefined) break;
      slab ??= Buffer.allocUnsafeSlow(max * SLOT);
      const gro = watch !== undefined;
      const n = native.recvmmsg(fd, slab, SLOT, max, sockaddr, lengths, sources, gro ? segments : undefined);
      if (n <= 0) break; // empty (or an error, which node:dgram will report on its next read)
      for (let i = 0; i < n; i++) {
        const len = lengths[i] as number;
        const at = i * SLOT;
        // With GRO a message may hold several datagrams of `seg` bytes (the last may be shorter).
        const seg = gro ? (segments[i] as number) : 0;
        if (len >= 0) {
          if (seg === 0) deliver(slab.subarray(at, at + len));
          else for (let o = 0; o < len; o += seg) deliver(slab.subarray(at + o, at + Math.min(o + seg, len)));
        } else {
          const size = -1 - len;
          const from = native.peer(sources, i);
          if (from === null) continue; // cut short: dropped
          const step = seg === 0 ? size : seg;
          for (let o = 0; o < size; o += step) {
            const copy = Buffer.from(slab.subarray(at + o, at + Math.min(o + step, size)));
            foreign(copy, { address: from[0], port: from[1], family: from[2], size: copy.length });
          }
        }
      }
      total += n;
      if (n < max) break;
    }
    return total;
  };
  return {
    send(datagrams, count) {
      const fd = socketFd(socket);
      if (fd === undefined) return 0;
      let i = 0;
      while (i < count) {
        const r = native.sendmmsg(fd, sockaddr, datagrams, i, count - i, segment);
        if (r > 0) i += r;
        else if (r === 0 || r === -EAGAIN || r === -ENOBUFS) break;
        else i++; // refused (a firewall, an ICMP error reported back): that datagram is lost
      }
      return i;
    },
    drain,
    takeOverReading(onReadable) {
      if (watch !== undefined) return true;
      const handle = socketHandle(socket);
      const fd = socketFd(socket);
      if (groRefused || fd === undefined || handle?.recvStop === undefined || handle.recvStart === undefined)
        return false;
      // node:dgram stops reading first: from the moment GRO is on, what it would read whole may
      // be several datagrams.
      handle.recvStop();
      const w = native.gro(fd, true) === 0 ? native.watch(fd, onReadable) : null;
      if (w === null) {
        groRefused = true; // an older kernel: stay with node:dgram for good
        native.gro(fd, false);
        handle.recvStart();
        return false;
      }
      watch = w;
      stopFollowingRef = followRef(native, handle, w);
      return true;
    },
    giveBackReading(deliver, foreign) {
      if (watch === undefined) return;
      drain(deliver, foreign);
      stopFollowingRef?.();
      stopFollowingRef = undefined;
      native.unwatch(watch);
      watch = undefined;
      const fd = socketFd(socket);
      if (fd === undefined) return; // closed
      native.gro(fd, false);
      socketHandle(socket)?.recvStart?.();
    },
  };
}

/**
 * Makes `watch` keep the event loop alive exactly when node:dgram's handle of the socket would
 * (`handle.hasRef()`), now and after every later socket.ref() / unref(); the returned function
 * stops following.
 *
 * The watch is a libuv handle of its own, referenced when made: left so, a process whose
 * application called socket.unref() would no longer exit while a stream holds the transport
 * (node:dgram's handle, which no longer reads, keeps the loop alive no more; the watch does).
 * socket.ref() and unref() are node:dgram's calls of handle.ref() and handle.unref() on that
 * internal handle object: for as long as the watch lives, those two are shadowed on that object
 * (own properties, removed again here) by functions that call node:dgram's own and then copy
 * hasRef() to the watch. The least invasive way found: the application's socket object, its
 * methods and node:dgram's prototypes are untouched, nothing runs per datagram, and any way of
 * changing the socket's ref state goes through those two calls. A Node whose handle has no
 * hasRef/ref/unref keeps the watch referenced, as before.
 */
function followRef(native: UdpBatchAddon, handle: DgramHandle, watch: object): () => void {
  const { hasRef, ref, unref } = handle;
  if (typeof hasRef !== 'function' || typeof ref !== 'function' || typeof unref !== 'function')
    return () => {};
  const sync = () => native.watchRef(watch, hasRef.call(handle) !== false);
  const hadOwn = { ref: Object.hasOwn(handle, 'ref'), unref: Object.hasOwn(handle, 'unref') };
  handle.ref = function (this: DgramHandle) {
    ref.call(this);
    sync();
  };
  handle.unref = function (this: DgramHandle) {
    unref.call(this);
    sync();
  };
  sync();
  return () => {
    if (hadOwn.ref) handle.ref = ref;
    else delete handle.ref;
    if (hadOwn.unref) handle.unref = unref;
    else delete handle.unref;
  };
}
