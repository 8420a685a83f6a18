// Sans-IO pseudo-TCP endpoint, wire-compatible with libnice's PseudoTcpSocket
// (see docs/pseudotcp-wire.md). No sockets, timers or clocks: time comes in as `now` (ms).
//
// Sender design (the receiver never sees it, so it stays wire-compatible):
// - tsval carries a per-transmission id, not a clock. libnice only ever echoes our tsval back in
//   tsecr (it computes RTT from its own ids), so the id lets us measure RTT without Karn's
//   ambiguity and, when the peer echoes the segment that triggered each ACK (as our receiver
//   does), tells us exactly which transmission arrived: RACK-style loss detection without SACK.
// - A libnice receiver echoes only in-order segments; then loss is found by three duplicate
//   ACKs, NewReno partial ACKs and the RTO (RFC 6298, RFC 5681, RFC 6582).
// - Sending is limited by "pipe" (bytes in flight, not lost, not known received) against the
//   congestion window, by the peer's window and by pacing.
//
// This class keeps the connection state (RFC 9293 §3.3.2), the sequence numbers and the buffers,
// and decides; self-contained pieces with their own tests do the rest:
// - send-queue.ts: segments in flight, the log of their transmissions, lost marks, the pipe;
// - pacer.ts: when the next segment may leave; congestion.ts: the window and the pacing rate,
//   fed by delivery-rate.ts (delivery-rate samples);
// - rtt-estimator.ts: RTO (RFC 6298); reassembly.ts: data held out of order;
// - ack-policy.ts: when the receiver acknowledges (delayed or immediate ACK).

import { AckPolicy } from './ack-policy.js';
import { type AckSample, Bbr, type CongestionController, NewReno } from './congestion.js';
import { CTL_CONNECT, encodeConnect, parseConnectOptions } from './connect-message.js';
import { DeliveryRateEstimator } from './delivery-rate.js';
import { Deque } from './deque.js';
import { EchoRun } from './echo-range.js';
import { Pacer } from './pacer.js';
import { ReassemblyIntervals } from './reassembly.js';
import { RingBuffer } from './ring-buffer.js';
import { RttEstimator } from './rtt-estimator.js';
import {
  decodeSegment,
  FLAG_CTL,
  FLAG_FIN,
  FLAG_RST,
  HEADER_SIZE,
  MIN_MSS,
  PACKET_MAXIMUMS,
  PACKET_OVERHEAD,
  type Segment,
  writeHeader,
} from './segment.js';
import { SendQueue, type SendSegment } from './send-queue.js';
import { toWire, unwrap } from './seq.js';

/** Options of `PseudoTcp`. */
export interface PseudoTcpOptions {
  /** Conversation id, default 0 (libnice's agent uses 0). */
  conversation?: number;
  /** Announce FIN-ACK support (libnice option 254), default true. */
  finAck?: boolean;
  /** Send buffer in bytes, default 8 MiB (6 x 100 Mbit/s x 100 ms: recovery holds data for extra round trips); memory grows on demand. */
  sendBufferSize?: number;
  /** Receive buffer in bytes, default 8 MiB, allocated on demand. Above 65535 the window-scale shift is announced. */
  receiveBufferSize?: number;
  /** Path MTU, default 1400 (MSS = MTU - 116 as libnice). */
  mtu?: number;
  /** Disable Nagle, default true. */
  noDelay?: boolean;
  /** Delayed-ACK time in ms, default 100; 0 acknowledges every segment at once. */
  ackDelay?: number;
  /** Minimum retransmission timeout in ms, default 200. */
  minRto?: number;
  /** Dead-peer timeout in ms, default 30000; false = off. Keepalive probes are sent at a third of it. */
  idleTimeout?: number | false;
  /** Congestion controller, default 'bbr'. */
  congestionControl?: 'bbr' | 'newreno';
}

/** Options for tests only: not part of the public API. */
export interface PseudoTcpInternalOptions extends PseudoTcpOptions {
  /** Unwrapped sequence number both directions start at (the wire carries it mod 2^32; libnice uses 0). */
  initialSequence?: number;
  /** Echo timestamps exactly as libnice does (only the segment covering the last ACK point). */
  libniceTimestampEcho?: boolean;
  /** Announce and use echo ranges (`echo-range.ts`), default true (false with libniceTimestampEcho). */
  echoRanges?: boolean;
}

/** The TCP connection states (RFC 9293 §3.3.2) a pseudo-TCP connection goes through. */
export type PseudoTcpState =
  | 'listen'
  | 'syn-sent'
  | 'syn-received'
  | 'established'
  | 'fin-wait-1'
  | 'fin-wait-2'
  | 'closing'
  | 'time-wait'
  | 'close-wait'
  | 'last-ack'
  | 'closed';

/** How a connection ended: closed normally, reset by the peer, timed out, or never connected. */
export type PseudoTcpCloseReason = 'normal' | 'reset' | 'timeout' | 'connect-failed';

/** What `PseudoTcp.pollEvent` reports. */
export type PseudoTcpEvent =
  | {
      /** The connection is established. */
      type: 'opened';
    }
  | {
      /** Received bytes are waiting to be read. */
      type: 'readable';
    }
  | {
      /** Room has come free in the send buffer. */
      type: 'writable';
    }
  | {
      /** The connection is closed. */
      type: 'closed';
      /** How it ended. */
      reason: PseudoTcpCloseReason;
      /** What went wrong, one line, when it did not end normally. */
      error?: string;
    };

/** Counters and estimates of a connection. */
export interface PseudoTcpStats {
  /** Smoothed round-trip time, ms. */
  rttMs: number;
  /** Retransmission timeout, ms. */
  rtoMs: number;
  /** Congestion window, bytes. */
  cwndBytes: number;
  /** Payload bytes transmitted for the first time. */
  bytesSent: number;
  /** Payload bytes received in order. */
  bytesReceived: number;
  /** Segments transmitted again. */
  retransmits: number;
  /** Pacing rate in bytes per second (Infinity when not pacing). */
  pacingRateBps: number;
  /** Segments discarded because their sequence or acknowledgement number was unacceptable (RFC 5961), RSTs included. */
  segmentsRejected: number;
}

/** Default send and receive buffer (see `PseudoTcpOptions`). */
const DEFAULT_BUFFER = 8 * 1024 * 1024;
/** libnice's receive buffer when the peer cannot scale windows. */
const UNSCALED_RECEIVE_BUFFER = 60 * 1024;
/** libnice DEF_RTO; also the backoff cap while connecting. */
const INITIAL_RTO = 1000;
/** RFC 6298 §2.5: a maximum may be placed on the RTO, provided it is at least 60 s. */
const MAX_RTO = 60_000;
/** libnice gives up a segment after this many transmissions before ESTABLISHED (about 30 s)... */
const MAX_TRANSMITS_CONNECTING = 30;
/** ...and after this many once established. */
const MAX_TRANSMITS_ESTABLISHED = 15;
/** A zero window held this long with nothing received closes the connection (libnice). */
const ZERO_WINDOW_ABORT_MS = 15_000;
/** TIME-WAIT is short: the conversation id, not time, separates connections. */
const TIME_WAIT_MS = 1;
/** FIN-WAIT-2 after close() waits this long for the peer's FIN (Linux tcp_fin_timeout). */
const FIN_WAIT_2_TIMEOUT = 60_000;
/** RFC 5961 §7: challenge ACKs per period (its recommended 10 in 5 s). */
const CHALLENGE_ACK_LIMIT = 10;
const CHALLENGE_ACK_PERIOD = 5000;
/** Outgoing datagrams are cut from slabs of this size. */
const SLAB_SIZE = 64 * 1024;
/** A reused slab (releaseTransmits) doubles up to this size when one flush overflows it. */
const MAX_SLAB_SIZE = 16 * 1024 * 1024;
/** Rings start small and double on demand, so idle connections stay cheap. */
const INITIAL_RING = 64 * 1024;

/**
 * Sans-IO pseudo-TCP (libnice compatible): a reliable ordered byte stream over datagrams. Feed it
 * datagrams and timeouts; drain datagrams, timeouts and events.
 */
export class PseudoTcp {
  private _state: PseudoTcpState = 'listen';
  private readonly conv: number;
  private readonly finAckOption: boolean;
  private mtu: number;
  private readonly noDelay: boolean;
  private readonly idleTimeout: number | false;
  private mss = MIN_MSS;

  // --- send side (unwrapped sequence numbers) ---
  private readonly iss: number;
  private readonly dataStart: number;
  private readonly connectMessage: Uint8Array;
  private sndUna: number;
  private sndNxt: number;
  private sndDataEnd: number;
  private finSeq: number | undefined;
  private connectQueued = false;
  /** Grows on demand up to sendBufferSize. */
  private readonly sendRing: RingBuffer;
  private readonly sendBufferSize: number;
  private sndWnd = 0;
  private swndScale = 0;
  /** Segments in flight, their transmissions, lost marks and the pipe. */
  private readonly sendQueue = new SendQueue();
  /** Set by nextToSend(): the segment it returned is new sequence space, not a retransmission. */
  private nextIsFresh = false;
  private rtoBase = 0;
  private readonly rtt: RttEstimator;
  private minRttSeen = Number.POSITIVE_INFINITY;
  private readonly cc: CongestionController;
  private readonly pacer = new Pacer();
  private readonly rate = new DeliveryRateEstimator();
  /** The congestion controller's input, refilled on every ACK that delivers (no allocation per ACK). */
  private readonly ackSample: AckSample = {
    now: 0,
    delivered: 0,
    inflight: 0,
    deliveryRate: undefined,
    rateAppLimited: false,
    priorDelivered: 0,
    totalDelivered: 0,
    rtt: undefined,
    inRecovery: false,
  };
  private dupAcks = 0;
  private dupAckedBytes = 0;
  private tlpArmed = true;
  private inRecovery = false;
  private recoveryPoint = 0;
  private peerEchoesSegments = false;
  private rackSentAt = Number.NEGATIVE_INFINITY;
  private lastSend = 0;
  private writeBlocked = false;

  // --- receive side ---
  private rcvNxt: number;
  private readSeq: number;
  /** Grows on demand up to receiveBufferSize (the window is always the full size). */
  private rcvRing: RingBuffer;
  private receiveBufferSize: number;
  private rwndScale = 0;
  /** Where data received out of order lies above RCV.NXT. */
  private readonly reassembly = new ReassemblyIntervals();
  private connectReceived = false;
  private peerFinAck = false;
  private rcvFinSeq: number | undefined;
  private tsRecent = 0;
  private readonly libniceEcho: boolean;
  /** We announce echo ranges; `peerEchoRanges`: the peer did too (then both sides use them). */
  private readonly echoRanges: boolean;
  private peerEchoRanges = false;
  /** The run of consecutive transmission ids received whole (the echo range of our pure ACKs). */
  private readonly echoRun = new EchoRun();
  private readonly ackPolicy: AckPolicy;
  private lastAdvertised = 0;
  private lastRecv = 0;
  private lastKeepalive = 0;

  // --- closing ---
  private shutdownRequested = false;
  private closeRequested = false;
  private timeWaitDeadline: number | undefined;
  /** After close() our FIN is acknowledged: wait this long for the peer's FIN (Linux tcp_fin_timeout). */
  private finWait2Deadline: number | undefined;
  private closedNormally = false;

  // --- output ---
  private readonly outbox = new Deque<Uint8Array>();
  private slab = new Uint8Array(0);
  private slabUsed = 0;
  /** releaseTransmits() was called: the slab is reused, so it may grow to hold one flush. */
  private slabReleased = false;
  /**
   * Every datagram in the slab was polled and the caller did not release them (yet): they may be
   * in flight, so a later flush that overflows the slab gets a fresh small one instead of doubling
   * it (only a flush that overflows a released slab makes it grow).
   */
  private slabHeld = false;
  private readonly events = new Deque<PseudoTcpEvent>();
  private readablePending = false;

  /** @internal Loss-detection counters for tests and tuning; not part of the API. */
  readonly debug = {
    /** Retransmission timeouts that fired. */
    rto: 0,
    /** Retransmissions by RACK loss detection. */
    rack: 0,
    /** Losses detected on duplicate ACKs. */
    dupack: 0,
    /** Challenge ACKs sent (RFC 5961). */
    challengeAcks: 0,
    /** Segments reported received by an echo range and not by their own echo. */
    rangeMarked: 0,
  };
  /** Segments discarded as unacceptable (RFC 5961); reported by stats(). */
  private dropped = 0;
  private challengePeriodStart = Number.NEGATIVE_INFINITY;
  private challengeAcks = 0;
  // --- stats ---
  private bytesSent = 0;
  private bytesReceived = 0;
  private retransmits = 0;

  constructor(options: PseudoTcpOptions = {}) {
    const o = options as PseudoTcpInternalOptions;
    this.conv = (o.conversation ?? 0) >>> 0;
    this.finAckOption = o.finAck ?? true;
    this.mtu = Math.max(o.mtu ?? 1400, 296);
    this.noDelay = o.noDelay ?? true;
    this.libniceEcho = o.libniceTimestampEcho ?? false;
    this.echoRanges = (o.echoRanges ?? true) && !this.libniceEcho;
    this.idleTimeout = o.idleTimeout === undefined ? 30_000 : o.idleTimeout;
    this.rtt = new RttEstimator(o.minRto ?? 200, MAX_RTO, INITIAL_RTO);
    const mss = () => Math.max(this.mtu - PACKET_OVERHEAD, MIN_MSS);
    this.cc = o.congestionControl === 'newreno' ? new NewReno(mss) : new Bbr(mss);

    const sendCap = Math.max(o.sendBufferSize ?? DEFAULT_BUFFER, 1024);
    const rcvCap = Math.max(o.receiveBufferSize ?? DEFAULT_BUFFER, 1024);
    this.sendBufferSize = sendCap;
    this.receiveBufferSize = rcvCap;
    this.sendRing = new RingBuffer(Math.min(sendCap, INITIAL_RING));
    this.rcvRing = new RingBuffer(Math.min(rcvCap, INITIAL_RING));
    this.rwndScale = windowScaleFor(rcvCap);

    this.iss = o.initialSequence ?? 0;
    this.connectMessage = encodeConnect(this.rwndScale, this.finAckOption, this.echoRanges);
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.dataStart = this.iss + this.connectMessage.length;
    this.sndDataEnd = this.dataStart;
    this.rcvNxt = this.iss;
    this.readSeq = this.iss;
    this.ackPolicy = new AckPolicy(o.ackDelay ?? 100, this.rcvNxt);
  }

  /** The connection state. */
  get state(): PseudoTcpState {
    return this._state;
  }

  /** Bytes send() would accept now. */
  get sendBufferFree(): number {
    if (this.shutdownRequested || this.closeRequested || this.isClosed()) return 0;
    return this.sendBufferSize - this.sendBuffered();
  }

  /** True once the peer's FIN arrived and every byte before it was read. */
  get eof(): boolean {
    return this.rcvFinSeq !== undefined && this.readSeq >= this.rcvFinSeq;
  }

  /** Bytes recv() can return now. */
  get readableBytes(): number {
    return this.rcvDataEnd() - this.readSeq;
  }

  /** Both sides announced FIN-ACK support (known once established). */
  get finAckNegotiated(): boolean {
    return this.finAckOption && this.peerFinAck;
  }

  /** Active open; with both sides calling it, a simultaneous open. */
  connect(now: number): void {
    if (this._state !== 'listen') return;
    this._state = 'syn-sent';
    this.connectQueued = true;
    this.lastRecv = now;
    this.flush(now);
  }

  /** Takes one datagram from the peer, received at `now` (ms). */
  handleInput(datagram: Uint8Array, now: number): void {
    let seg: Segment;
    try {
      seg = decodeSegment(datagram);
    } catch {
      return; // not a segment: dropped, as libnice does
    }
    if (seg.conv !== this.conv) return;
    if (this.isClosed()) {
      if (seg.flags & FLAG_RST) return; // never an RST to an RST
      const fin = (seg.flags & FLAG_FIN) !== 0;
      const end = unwrap(seg.seq, this.rcvNxt) + seg.payload.length + (fin ? 1 : 0);
      const carriesSomething = seg.payload.length > 0 || fin;
      if (this.closedNormally && this.connectReceived && carriesSomething && end <= this.rcvNxt) {
        // A retransmission of something we acknowledged before a normal close (our ACK was
        // lost): acknowledge it again rather than reset a peer that did nothing wrong.
        this.sendPureAck(true);
      } else if (this.closedNormally && !carriesSomething && (seg.flags & FLAG_CTL) === 0) {
        // A pure ACK (perhaps overtaken by the segment that let us close) or a probe: dropped.
        // Without FIN-ACK the peer cannot tell that we closed; its idle timeout ends it.
      } else {
        this.sendRst(seg); // a segment arriving in CLOSED is answered with RST
      }
      return;
    }
    if (seg.flags & FLAG_RST) {
      this.processRst(seg, now);
      return;
    }
    const isCtl = (seg.flags & FLAG_CTL) !== 0;
    if (this._state === 'listen' && !isCtl) return;
    if (!this.segmentAcceptable(seg)) {
      // RFC 9293 §3.10.7.4 (sequence number outside what the peer can have sent) and RFC 5961 §5.2
      // (acknowledgement outside [SND.UNA - MAX.SND.WND, SND.NXT]): the segment is discarded and an
      // ACK goes back, rate-limited (RFC 5961 §7). A blind attacker who knows the conversation id
      // but not the sequence numbers can neither inject data, acknowledge data the peer never
      // received, close the window nor keep a dead connection alive with such segments.
      this.dropped++;
      this.sendChallengeAck(now);
      return;
    }
    this.lastRecv = now;

    if (isCtl) {
      if (!this.handleControl(seg, now)) return;
    }
    this.processAck(seg, now);
    if (this.isClosed()) return;
    if (this._state === 'syn-received' && !isCtl) this.establish(now);

    if (!isCtl) {
      if (seg.flags & FLAG_FIN) {
        // A FIN carrying data is ignored.
        if (seg.payload.length === 0) this.processFin(seg, now);
      } else if (seg.payload.length > 0) {
        this.processData(seg, now);
      } else if (unwrap(seg.seq, this.rcvNxt) < this.rcvNxt) {
        this.ackPolicy.requestImmediate(); // window probe or keepalive: answer at once
      }
    }
    if (this.isClosed()) return;
    this.flush(now);
  }

  /** Runs the timers due at `now` (ms): retransmission, delayed ACK, window probe, keep-alive. */
  handleTimeout(now: number): void {
    if (this.isClosed()) return;
    if (
      (this.timeWaitDeadline !== undefined && now >= this.timeWaitDeadline) ||
      (this._state === 'fin-wait-2' && this.finWait2Deadline !== undefined && now >= this.finWait2Deadline)
    ) {
      this.closeDown('normal');
      return;
    }
    // Deadlines are compared exactly as pollTimeout() computes them (no float drift).
    if (this.idleTimeout !== false && this.isSynchronized() && now >= this.lastRecv + this.idleTimeout) {
      this.closeDown(
        'timeout',
        `no segment from the peer for ${this.idleTimeout} ms; the peer or the path is gone`,
      );
      return;
    }
    this.ackPolicy.onTimeout(now);
    if (this.hasOutstanding() && now >= this.rtoBase + this.rtt.rto) {
      this.onRetransmissionTimeout(now);
      if (this.isClosed()) return;
    } else if (now >= this.tailProbeTime()) {
      this.sendTailLossProbe();
    } else if (this.needsWindowProbe() && now >= this.lastSend + this.rtt.rto) {
      if (now - this.lastRecv >= ZERO_WINDOW_ABORT_MS) {
        this.closeDown('timeout', 'the peer kept a zero receive window for 15 s');
        return;
      }
      this.sendProbe(now);
      this.rtt.backOff(this.maxBackoff());
    } else if (this.keepaliveDue(now)) {
      this.sendProbe(now);
      this.lastKeepalive = now;
    }
    this.flush(now);
  }

  /** The next datagram to send to the peer, or undefined when none is queued. */
  pollTransmit(): Uint8Array | undefined {
    const d = this.outbox.shift();
    if (d !== undefined) return d;
    if (this.ackPolicy.owed) {
      this.sendPureAck();
      return this.outbox.shift();
    }
    // Drained: the caller holds the slab's datagrams until releaseTransmits().
    if (this.slabUsed > 0) this.slabHeld = true;
    return undefined;
  }

  /**
   * The caller keeps no datagram returned by pollTransmit so far (the transport copied them all,
   * as sendmmsg does): the next datagrams may be written into the same memory, which saves
   * allocating and zeroing fresh memory for every datagram. Without this call a datagram stays
   * valid for as long as the caller keeps it (node:dgram sends asynchronously, from the memory
   * it was given).
   */
  releaseTransmits(): void {
    if (this.outbox.length > 0) return; // datagrams not yet polled live in the slab
    this.slabUsed = 0;
    this.slabReleased = true;
    this.slabHeld = false;
  }

  /** When (ms) `handleTimeout` is next wanted, or undefined when no timer runs. */
  pollTimeout(): number | undefined {
    if (this.isClosed()) return undefined;
    if (this.timeWaitDeadline !== undefined) return this.timeWaitDeadline;
    let t = Number.POSITIVE_INFINITY;
    const ackDeadline = this.ackPolicy.deadline;
    if (ackDeadline !== undefined) t = Math.min(t, ackDeadline);
    if (this._state === 'fin-wait-2' && this.finWait2Deadline !== undefined)
      t = Math.min(t, this.finWait2Deadline);
    if (this.hasOutstanding()) t = Math.min(t, this.rtoBase + this.rtt.rto, this.tailProbeTime());
    else if (this.needsWindowProbe()) t = Math.min(t, this.lastSend + this.rtt.rto);
    if (this.pacer.waiting) t = Math.min(t, this.pacer.nextSendTime);
    if (this.idleTimeout !== false && this.isSynchronized()) {
      t = Math.min(t, this.lastRecv + this.idleTimeout);
      if (!this.hasOutstanding()) t = Math.min(t, this.keepaliveTime());
    }
    return Number.isFinite(t) ? t : undefined;
  }

  /** The next event, or undefined when none is queued. */
  pollEvent(): PseudoTcpEvent | undefined {
    return this.events.shift();
  }

  /** Queue bytes; returns how many were accepted (0 when the buffer is full or the stream is shut). */
  send(data: Uint8Array, now: number): number {
    const n = Math.min(data.length, this.sendBufferFree);
    if (n < data.length) this.writeBlocked = true;
    if (n <= 0) return 0;
    const buffered = this.sendBuffered();
    if (buffered + n > this.sendRing.capacity) {
      const start = this.sndDataEnd - buffered - this.dataStart;
      this.sendRing.grow(
        grownSize(this.sendRing.capacity, buffered + n, this.sendBufferSize),
        start,
        start + buffered,
      );
    }
    this.sendRing.write(this.sndDataEnd - this.dataStart, n === data.length ? data : data.subarray(0, n));
    this.sndDataEnd += n;
    this.flush(now);
    return n;
  }

  /** In-order bytes (at most maxBytes), or undefined when none are buffered. May queue a window update: poll transmit afterwards. */
  recv(maxBytes?: number): Uint8Array | undefined {
    const avail = this.readableBytes;
    if (avail <= 0) return undefined;
    const n = Math.min(avail, maxBytes ?? avail);
    if (n <= 0) return undefined;
    const out = new Uint8Array(n);
    this.recvInto(out);
    return out;
  }

  /**
   * Copies in-order bytes into `dest` (at most its length) and returns how many; 0 when none are
   * buffered. For callers that bring their own (possibly uninitialised) memory. May queue a window
   * update: poll transmit afterwards.
   */
  recvInto(dest: Uint8Array): number {
    const n = Math.min(this.readableBytes, dest.length);
    if (n <= 0) return 0;
    this.rcvRing.read(this.readSeq, n, dest, 0);
    this.readSeq += n;
    if (this.readableBytes === 0) this.readablePending = false;
    // Window update when the window had closed substantially (libjingle sends one when it reopens).
    const cap = this.receiveBufferSize;
    const wnd = this.receiveWindow();
    if (
      this.isSynchronized() &&
      this.lastAdvertised < cap / 2 &&
      wnd - this.lastAdvertised >= Math.min(cap / 2, 65_536)
    ) {
      this.sendPureAck();
    }
    return n;
  }

  /** Half-close: FIN after the queued data (needs FIN-ACK on both sides; otherwise a graceful close once all is acknowledged). */
  shutdown(now: number): void {
    if (this.isClosed() || this.shutdownRequested) return;
    this.shutdownRequested = true;
    if (this._state === 'listen' || this._state === 'syn-sent' || this._state === 'syn-received') return; // applied on establish
    this.applyShutdown();
    this.flush(now);
  }

  /** Close. With force, or with unread received data, sends RST and closes at once. */
  close(now: number, force = false): void {
    if (this.isClosed()) return;
    if (this._state === 'listen' || this._state === 'syn-sent') {
      this.closeDown('normal');
      return;
    }
    if (force || this.readableBytes > 0) {
      this.sendRst(undefined);
      this.ackPolicy.cancel();
      this.closeDown('normal');
      this.closedNormally = false; // later segments from the peer get RST
      return;
    }
    this.closeRequested = true;
    if (this._state === 'fin-wait-2') this.finWait2Deadline = now + FIN_WAIT_2_TIMEOUT;
    if (!this.shutdownRequested) {
      this.shutdownRequested = true;
      if (this._state === 'syn-received') return; // applied on establish
      this.applyShutdown();
    }
    this.checkGracefulClose();
    if (!this.isClosed()) this.flush(now);
  }

  /** The path MTU changed (libnice pseudo_tcp_socket_notify_mtu); new segments use MTU - 116. */
  notifyMtu(mtu: number): void {
    this.mtu = Math.max(Math.floor(mtu), PACKET_MAXIMUMS[PACKET_MAXIMUMS.length - 1] as number);
    if (this.isSynchronized()) this.mss = Math.max(this.mtu - PACKET_OVERHEAD, MIN_MSS);
  }

  /**
   * A datagram was too large for the path (EMSGSIZE): step down libnice's MTU table.
   * Segments already sent keep their size when resent.
   */
  packetTooBig(): void {
    const next = PACKET_MAXIMUMS.find((m) => m < this.mtu);
    if (next !== undefined) this.notifyMtu(next);
  }

  /** Current path MTU. */
  get pathMtu(): number {
    return this.mtu;
  }

  /** A snapshot of the connection's counters and estimates. */
  stats(): PseudoTcpStats {
    return {
      rttMs: this.rtt.srtt,
      rtoMs: this.rtt.rto,
      cwndBytes: this.cc.cwnd,
      bytesSent: this.bytesSent,
      bytesReceived: this.bytesReceived,
      retransmits: this.retransmits,
      pacingRateBps: this.cc.pacingRate * 1000,
      segmentsRejected: this.dropped,
    };
  }

  // ------------------------------------------------------------------ opening

  private handleControl(seg: Segment, now: number): boolean {
    const p = seg.payload;
    if (p.length === 0 || p[0] !== CTL_CONNECT) return false; // unknown control code: dropped
    const seq = unwrap(seg.seq, this.rcvNxt);
    if (this.connectReceived || seq !== this.rcvNxt) {
      this.ackPolicy.requestImmediate(); // a retransmitted CONNECT: acknowledge again
      return true;
    }
    const opts = parseConnectOptions(p.subarray(1));
    this.peerFinAck = opts.finAck;
    this.peerEchoRanges = this.echoRanges && opts.echoRange;
    if (opts.windowScale === undefined) {
      // The peer cannot scale windows: fall back to libnice's unscaled 60 KiB receive buffer.
      if (this.rwndScale > 0) {
        this.receiveBufferSize = UNSCALED_RECEIVE_BUFFER;
        this.rcvRing = new RingBuffer(Math.min(UNSCALED_RECEIVE_BUFFER, INITIAL_RING));
        this.rwndScale = 0;
      }
      this.swndScale = 0;
    } else {
      this.swndScale = Math.min(opts.windowScale, 14);
    }
    this.connectReceived = true;
    this.tsRecent = seg.tsval;
    this.rcvNxt += p.length; // the connect message consumes sequence space, never delivered
    this.readSeq = this.rcvNxt;
    this.rcvNxt = this.reassembly.advance(this.rcvNxt);
    this.ackPolicy.requestImmediate();
    if (this._state === 'listen') {
      this._state = 'syn-received';
      this.connectQueued = true;
    } else if (this._state === 'syn-sent') {
      this.resendConnectIfUnseen(seg);
      this.establish(now);
    }
    return true;
  }

  /**
   * Simultaneous open: the peer's CONNECT does not acknowledge ours, so the peer may never have
   * seen it (over ICE, the side that opens first often sends its CONNECT before the other side
   * listens). Until it arrives the peer stays in SYN-SENT and drops our data without a word, and
   * only the 1 s initial RTO would resend it. Resend it once now; if the CONNECTs merely crossed,
   * the peer acknowledges a duplicate.
   */
  private resendConnectIfUnseen(seg: Segment): void {
    const front = this.sendQueue.front();
    if (front === undefined || (front.flags & FLAG_CTL) === 0 || front.xmit !== 1) return;
    if (unwrap(seg.ack, this.sndUna) > front.seq) return; // ours was acknowledged
    this.sendQueue.markLost(front, 0);
  }

  private establish(now: number): void {
    this._state = 'established';
    this.mss = Math.max(this.mtu - PACKET_OVERHEAD, MIN_MSS);
    this.lastRecv = now;
    this.events.push({ type: 'opened' });
    if (this.shutdownRequested) this.applyShutdown();
    this.checkGracefulClose();
  }

  // ------------------------------------------------------------------ closing

  private applyShutdown(): void {
    if (this.finAckNegotiated) {
      if (this.finSeq !== undefined) return;
      this.finSeq = this.sndDataEnd;
      if (this._state === 'established') this._state = 'fin-wait-1';
      else if (this._state === 'close-wait') this._state = 'last-ack';
    } else {
      // No FIN on the wire (libjingle peer): close once everything sent is acknowledged.
      this.closeRequested = true;
      this.checkGracefulClose();
    }
  }

  private checkGracefulClose(): void {
    if (!this.closeRequested || this.finAckNegotiated || this.isClosed()) return;
    if (this._state !== 'established') return;
    if (this.sndUna >= this.sndDataEnd) this.closeDown('normal');
  }

  private onFinAcked(now: number): void {
    if (this._state === 'fin-wait-1') {
      this._state = 'fin-wait-2';
      if (this.closeRequested) this.finWait2Deadline = now + FIN_WAIT_2_TIMEOUT;
    } else if (this._state === 'closing') this.enterTimeWait(now);
    else if (this._state === 'last-ack') this.closeDown('normal');
  }

  private enterTimeWait(now: number): void {
    this._state = 'time-wait';
    this.timeWaitDeadline = now + TIME_WAIT_MS;
  }

  private closeDown(reason: PseudoTcpCloseReason, error?: string): void {
    if (this.isClosed()) return;
    if (reason === 'normal' && this.ackPolicy.pending) {
      // A graceful close first acknowledges what arrived, as libnice does (it reports closed only
      // once no delayed ACK is pending); otherwise the peer resends its last segment forever.
      this.sendPureAck();
    }
    this._state = 'closed';
    this.closedNormally = reason === 'normal';
    this.timeWaitDeadline = undefined;
    this.ackPolicy.cancel();
    this.sendQueue.clear();
    this.events.push(error === undefined ? { type: 'closed', reason } : { type: 'closed', reason, error });
  }

  private sendRst(inResponseTo: Segment | undefined): void {
    const out = this.datagram(HEADER_SIZE);
    const ack =
      inResponseTo === undefined
        ? toWire(this.rcvNxt)
        : toWire(inResponseTo.seq + inResponseTo.payload.length);
    writeHeader(out, {
      conv: this.conv,
      // RFC 9293 §3.10.7.1: an RST answering a segment takes its sequence number from that
      // segment's ACK field, so it matches the peer's RCV.NXT exactly and passes the peer's
      // RFC 5961 check (which a challenge ACK relies on). Our own abort uses SND.NXT.
      seq: inResponseTo === undefined ? toWire(this.sndNxt) : inResponseTo.ack,
      ack,
      flags: FLAG_RST,
      window: 0,
      tsval: 0,
      tsecr: inResponseTo?.tsval ?? this.tsRecent,
    });
    this.outbox.push(out);
  }

  // ------------------------------------------------------------------ receiving

  /**
   * RFC 5961 §3.2 for an RST:
   * - sequence number exactly RCV.NXT: reset;
   * - otherwise inside the receive window: a challenge ACK (rate-limited, §7), no reset;
   * - outside the window: silently dropped.
   * libnice (agent/pseudotcp.c) queues its RST behind everything in its send buffer
   * (seq = SND.UNA + bytes buffered), flushes that buffer first and never answers a challenge ACK
   * with a corrected RST. So two more numbers count as exact, each as hard to guess as RCV.NXT:
   * - the sequence number of the peer's FIN (a FIN-ACK peer that resets before its FIN was
   *   acknowledged numbers the RST like the FIN, i.e. RCV.NXT - 1 here);
   * - the end of the highest data held out of order (a segment in the middle of the flushed tail
   *   was lost). If the very last one was lost, its RST is not accepted: our side then ends by
   *   its retransmission limit or idle timeout.
   */
  private processRst(seg: Segment, now: number): void {
    const s = unwrap(seg.seq, this.rcvNxt);
    const highest = this.reassembly.highestEnd;
    if (s === this.rcvNxt || s === this.rcvFinSeq || s === highest) {
      this.closeDown('reset', 'the peer reset the connection');
      return;
    }
    this.dropped++;
    // RCV.NXT <= SEG.SEQ < RCV.NXT + RCV.WND
    if (s > this.rcvNxt && s < this.rcvNxt + Math.max(this.receiveWindow(), 1)) this.sendChallengeAck(now);
  }

  /**
   * Whether a segment (not an RST) can have come from the peer. Sequence number: at most one
   * receive buffer behind RCV.NXT (a retransmission of data whose ACK is still on its way, a
   * window probe at SND.NXT - 1) and at most the end of what our window allowed. ACK:
   * RFC 5961 §5.2, (SND.UNA - MAX.SND.WND) <= SEG.ACK <= SND.NXT; our own send buffer bounds
   * what was ever in flight, so it stands in for MAX.SND.WND.
   */
  private segmentAcceptable(seg: Segment): boolean {
    const s = unwrap(seg.seq, this.rcvNxt);
    const slack = this.receiveBufferSize + 1;
    if (s < this.rcvNxt - slack || s > this.readSeq + slack) return false;
    const a = unwrap(seg.ack, this.sndUna);
    return a <= this.sndNxt && a >= this.sndUna - this.sendBufferSize - this.connectMessage.length;
  }

  /**
   * RFC 5961 §3.2/§5.2 challenge ACK, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. RFC 5961 §7: at most
   * CHALLENGE_ACK_LIMIT per CHALLENGE_ACK_PERIOD (its recommended 10 per 5 s), counted per
   * connection so that the throttle reveals nothing about other connections.
   */
  private sendChallengeAck(now: number): void {
    if (!this.isSynchronized() && this._state !== 'syn-received') return;
    if (now - this.challengePeriodStart >= CHALLENGE_ACK_PERIOD) {
      this.challengePeriodStart = now;
      this.challengeAcks = 0;
    }
    if (this.challengeAcks >= CHALLENGE_ACK_LIMIT) return;
    this.challengeAcks++;
    this.debug.challengeAcks++;
    this.sendPureAck();
  }

  private processAck(seg: Segment, now: number): void {
    if (this._state === 'listen') return;
    const ack = unwrap(seg.ack, this.sndUna);
    if (ack < this.sndUna || ack > this.sndNxt) return; // old or beyond what we sent
    this.sndWnd = seg.window * (1 << this.swndScale);

    const queue = this.sendQueue;
    const rate = this.rate;
    rate.beginAck();
    const echo = queue.lookup(seg.tsecr);
    let rttSample: number | undefined;
    const wasUna = this.sndUna;

    if (ack > this.sndUna) {
      // Cumulative acknowledgement.
      queue.acknowledge(ack, now, rate);
      this.dupAckedBytes = Math.max(0, this.dupAckedBytes - (ack - this.sndUna));
      this.sndUna = ack;
      this.dupAcks = 0;
      this.rtoBase = now; // RFC 6298 §5.3: restart the timer on new data acknowledged
      this.tlpArmed = true;
      if (echo !== undefined) rttSample = now - echo.sentAt;
      if (this.finSeq !== undefined && wasUna <= this.finSeq && ack > this.finSeq) this.onFinAcked(now);
      if (this.inRecovery) {
        if (ack >= this.recoveryPoint) this.inRecovery = false;
        else if (!this.peerEchoesSegments) this.markFrontLostIfStale(now); // RFC 6582 §3.2 step 3: a partial ACK resends the first unacknowledged segment
      }
    } else if (
      seg.payload.length === 0 &&
      (seg.flags & (FLAG_FIN | FLAG_CTL)) === 0 &&
      this.sndUna < this.sndNxt &&
      unwrap(seg.seq, this.rcvNxt) >= this.rcvNxt
    ) {
      // RFC 5681 §3.2: fast retransmit on the third duplicate ACK.
      this.dupAcks++;
      if (!this.peerEchoesSegments) this.dupAckedBytes += this.mss;
      // Without per-segment echoes, duplicate ACKs still arriving well after the hole was resent
      // mean the retransmission was lost too.
      if (!this.peerEchoesSegments && (this.dupAcks === 3 || (this.inRecovery && this.dupAcks > 3))) {
        this.markFrontLostIfStale(now);
      }
    }

    // The echoed transmission has arrived at the peer.
    if (echo !== undefined && !echo.seg.acked) {
      if (!echo.seg.sacked && echo.seg.seq > ack) {
        // Strictly above the ACK point: a segment at the ACK point was seen but not taken.
        queue.markReceived(echo.seg, now, rate);
        this.peerEchoesSegments = true;
      }
    }
    // An echo range in a pure ACK: every transmission in it arrived too (echo-range.ts).
    if (
      this.peerEchoRanges &&
      echo !== undefined &&
      seg.tsval !== 0 &&
      seg.payload.length === 0 &&
      (seg.flags & (FLAG_FIN | FLAG_CTL)) === 0
    ) {
      const marked = queue.markRangeReceived(seg.tsval, seg.tsecr, ack, now, rate);
      if (marked > 0) {
        this.debug.rangeMarked += marked;
        this.peerEchoesSegments = true;
      }
    }
    if (this.peerEchoesSegments && echo !== undefined && echo.sentAt > this.rackSentAt) {
      this.rackSentAt = echo.sentAt;
      this.detectLossByTime(now);
    }

    if (rttSample !== undefined && rttSample >= 0) {
      this.rtt.sample(rttSample);
      this.minRttSeen = Math.min(this.minRttSeen, rttSample);
      this.cc.setSmoothedRtt(this.rtt.srtt);
    }

    if (rate.newlyDelivered > 0) {
      const sample = this.ackSample;
      rate.sample(sample, Number.isFinite(this.minRttSeen) ? this.minRttSeen : 0);
      sample.now = now;
      sample.delivered = rate.newlyDelivered;
      sample.inflight = queue.pipe;
      sample.rtt = rttSample;
      sample.inRecovery = this.inRecovery;
      this.cc.onAck(sample);
      queue.trimLog(this.peerEchoesSegments);
      if (this.writeBlocked && this.sendBufferFree >= Math.min(this.sendBufferSize / 4, 65_536)) {
        this.writeBlocked = false;
        this.events.push({ type: 'writable' });
      }
      this.checkGracefulClose();
    }
  }

  private processData(seg: Segment, now: number): void {
    if (this.rcvFinSeq !== undefined) {
      this.ackPolicy.requestImmediate();
      return;
    }
    if (unwrap(seg.seq, this.rcvNxt) + seg.payload.length <= this.rcvNxt) {
      this.ackPolicy.requestImmediate(); // a duplicate of what we already have
      return;
    }
    if (this.closeRequested && this.finSeq !== undefined) {
      // Data after we closed (not merely shut down) our side: RFC 1122 §4.2.2.13, reset.
      this.sendRst(seg);
      this.closeDown('reset', 'data arrived after close; the connection was reset');
      return;
    }
    const s = unwrap(seg.seq, this.rcvNxt);
    const len = seg.payload.length;
    const limit = this.readSeq + this.receiveBufferSize;
    const start = Math.max(s, this.rcvNxt);
    const end = Math.min(s + len, limit);
    if (end <= start) {
      this.ackPolicy.requestImmediate();
      return;
    }
    if (end - this.readSeq > this.rcvRing.capacity) {
      const stored = Math.max(this.rcvNxt, this.reassembly.highestEnd ?? 0);
      this.rcvRing.grow(
        grownSize(this.rcvRing.capacity, end - this.readSeq, this.receiveBufferSize),
        this.readSeq,
        stored,
      );
    }
    this.rcvRing.write(start, seg.payload.subarray(start - s, end - s));
    if (this.libniceEcho) {
      const lastAck = this.ackPolicy.lastAckPoint;
      if (s <= lastAck && lastAck < s + len) this.tsRecent = seg.tsval;
    } else if (end === s + len) {
      if (this.peerEchoRanges && this.echoRun.leavesUnreported(seg.tsval)) {
        // A gap in the transmission ids ends the run: report what it holds before it is forgotten,
        // twice, as no later ACK can repeat it (one lost ACK would cause spurious retransmissions).
        this.sendPureAck();
        this.sendPureAck();
      }
      this.tsRecent = seg.tsval; // echo exactly the segment that arrived whole
      this.echoRun.onArrival(seg.tsval);
    }
    if (start === this.rcvNxt) {
      const filledHole = !this.reassembly.isEmpty;
      const before = this.rcvNxt;
      this.rcvNxt = this.reassembly.advance(end);
      this.bytesReceived += this.rcvNxt - before;
      this.ackPolicy.onInOrderData(now, this.rcvNxt, filledHole);
      if (!this.readablePending) {
        this.readablePending = true;
        this.events.push({ type: 'readable' });
      }
    } else {
      this.reassembly.insert(start, end);
      // Out of order: at once (RFC 5681 §4.2), or at the next drain when an echo range reports it.
      const reported = this.peerEchoRanges && this.tsRecent === seg.tsval;
      this.ackPolicy.onOutOfOrderData(end - start, reported);
    }
  }

  private processFin(seg: Segment, now: number): void {
    if (!this.finAckNegotiated) return;
    const s = unwrap(seg.seq, this.rcvNxt);
    this.ackPolicy.requestImmediate(); // a FIN is acknowledged at once
    if (s !== this.rcvNxt || this.rcvFinSeq !== undefined) return; // only in order
    this.rcvFinSeq = s;
    this.rcvNxt = s + 1;
    this.tsRecent = seg.tsval;
    if (this._state === 'established') this._state = 'close-wait';
    else if (this._state === 'fin-wait-1') this._state = 'closing';
    else if (this._state === 'fin-wait-2') this.enterTimeWait(now);
    this.readablePending = true;
    this.events.push({ type: 'readable' });
  }

  // ------------------------------------------------------------------ loss detection

  /** Duplicate ACKs or a partial ACK point at the front segment: lost unless it was just resent. */
  private markFrontLostIfStale(now: number): void {
    const front = this.sendQueue.front();
    if (front === undefined || front.lost || front.sacked || front.acked) return;
    const tx = front.lastTx;
    const srtt = this.rtt.hasSample ? this.rtt.srtt : this.rtt.rto;
    if (tx !== undefined && front.xmit > 1 && now - tx.sentAt < srtt * 1.25 + 2) return; // just resent
    this.debug.dupack++;
    this.declareLost(front, now, 0);
  }

  /** RACK-like: a transmission sent well before one known to have arrived is lost. */
  private detectLossByTime(now: number): void {
    const minRtt = Number.isFinite(this.minRttSeen) ? this.minRttSeen : this.rtt.srtt;
    const reorderWindow = Math.max(minRtt / 4, 1);
    const threshold = this.rackSentAt - reorderWindow;
    const queue = this.sendQueue;
    for (let s = queue.nextSentBefore(threshold); s !== undefined; s = queue.nextSentBefore(threshold)) {
      this.debug.rack++;
      this.declareLost(s, now, -1);
    }
  }

  /**
   * A loss found by duplicate ACKs or by time: the segment is marked (`index`: its place in the
   * send queue, -1 unknown), the controller told, and recovery entered (RFC 6582 §3.2: the
   * recovery point is SND.NXT when the loss was found).
   */
  private declareLost(s: SendSegment, now: number, index: number): void {
    if (!this.sendQueue.markLost(s, index)) return;
    this.cc.onLoss(s.len);
    if (!this.inRecovery) {
      this.inRecovery = true;
      this.recoveryPoint = this.sndNxt;
      this.cc.onCongestionEvent(now, this.sendQueue.pipe + s.len);
    }
  }

  private onRetransmissionTimeout(now: number): void {
    this.debug.rto++;
    const connecting = this._state === 'syn-sent' || this._state === 'syn-received';
    const front = this.sendQueue.front();
    if (front !== undefined) {
      const limit = connecting ? MAX_TRANSMITS_CONNECTING : MAX_TRANSMITS_ESTABLISHED;
      if (front.xmit >= limit) {
        if (connecting) {
          this.closeDown(
            'connect-failed',
            `no answer to ${front.xmit} connect attempts; check that the peer is running and reachable`,
          );
        } else {
          this.closeDown(
            'timeout',
            `a segment went unacknowledged after ${front.xmit} transmissions; the peer is gone`,
          );
        }
        return;
      }
      if (front.sacked) front.sacked = false; // cannot be: the peer did not keep it
    }
    // RFC 6298 §5.5-5.6: back off and retransmit; here every segment not known received.
    this.rtt.backOff(connecting ? INITIAL_RTO : this.maxBackoff());
    this.sendQueue.markAllLost();
    this.inRecovery = true;
    this.recoveryPoint = this.sndNxt;
    this.dupAcks = 0;
    this.cc.onRetransmissionTimeout(now);
    this.rtoBase = now;
    this.pacer.reset(now);
  }

  /**
   * Tail loss probe (RFC 8985 §7): when the flight has gone quiet for two RTTs, resend the last
   * segment so that the ACK it draws reveals losses at the tail without waiting for the RTO.
   */
  private tailProbeTime(): number {
    if (!this.tlpArmed || !this.hasOutstanding() || this.sendQueue.lostCount > 0 || !this.rtt.hasSample) {
      return Number.POSITIVE_INFINITY;
    }
    if (!this.isSynchronized()) return Number.POSITIVE_INFINITY;
    return this.lastSend + Math.max(2 * this.rtt.srtt, 10);
  }

  private sendTailLossProbe(): void {
    this.tlpArmed = false;
    const i = this.sendQueue.tailProbeIndex(FLAG_FIN);
    const s = this.sendQueue.at(i);
    if (s !== undefined) this.sendQueue.markLost(s, i);
  }

  /**
   * The backed-off RTO stays well under the idle timeout, so that a lossy but live path gets
   * several retransmissions (and chances of an answer) before the idle timeout declares it dead.
   */
  private maxBackoff(): number {
    return this.idleTimeout === false ? MAX_RTO : Math.min(MAX_RTO, this.idleTimeout / 8);
  }

  // ------------------------------------------------------------------ sending

  private flush(now: number): void {
    if (this.isClosed()) return;
    this.pacer.waiting = false;
    for (;;) {
      const seg = this.nextToSend();
      if (seg === undefined) break;
      const fresh = this.nextIsFresh;
      const isControl = (seg.flags & FLAG_CTL) !== 0;
      // The hole at snd_una goes out at once, as a fast retransmit does (RFC 5681 §3.2 step 3: the segment at SND.UNA MUST be resent).
      const blockingHole = !fresh && seg.seq === this.sndUna;
      if (!isControl && !blockingHole) {
        // RFC 5681 §3.2 step 4 (window inflation): each duplicate ACK means a segment left the network.
        const pipe = Math.max(0, this.sendQueue.pipe - this.dupAckedBytes);
        if (pipe + seg.len > this.cc.cwnd && pipe > 0) break;
        if (!this.pacer.mayRelease(now, this.cc.pacingRate)) break;
      }
      if (fresh) this.sendQueue.push(seg);
      this.transmit(seg, now, !fresh);
    }
    if (this.ackPolicy.immediate) this.sendPureAck();
    if (this.isClosed()) return;
    this.checkGracefulClose();
  }

  /** The next segment: a lost one first, then new sequence space (`nextIsFresh` tells which). */
  private nextToSend(): SendSegment | undefined {
    // Lost segments go first, lowest sequence number first: the hole at snd_una unblocks the most.
    const lost = this.sendQueue.nextLost();
    if (lost !== undefined) {
      this.nextIsFresh = false;
      return lost;
    }
    this.nextIsFresh = true;
    if (this.sndNxt === this.iss) {
      if (!this.connectQueued) return undefined;
      return this.sendQueue.newSegment(this.iss, this.connectMessage.length, FLAG_CTL, this.connectMessage);
    }
    if (!this.canSendData()) return undefined;
    const wndEnd = this.sndUna + this.sndWnd;
    if (this.sndNxt < this.sndDataEnd) {
      const room = wndEnd - this.sndNxt;
      const len = Math.min(this.mss, this.sndDataEnd - this.sndNxt, room);
      if (len <= 0) return undefined; // window-limited: probe when nothing is in flight
      if (!this.noDelay && len < this.mss && this.sndNxt > this.sndUna) return undefined; // Nagle
      return this.sendQueue.newSegment(this.sndNxt, len, 0, undefined);
    }
    if (this.finSeq !== undefined && this.sndNxt === this.finSeq) {
      return this.sendQueue.newSegment(this.finSeq, 1, FLAG_FIN, undefined);
    }
    // Everything written is sent: what is sampled until it is delivered is application-limited.
    this.rate.markAppLimited(this.sendQueue.pipe);
    return undefined;
  }

  private canSendData(): boolean {
    switch (this._state) {
      case 'established':
      case 'close-wait':
      case 'fin-wait-1':
      case 'closing':
      case 'last-ack':
        return true;
      default:
        return false;
    }
  }

  private transmit(s: SendSegment, now: number, isRetransmit: boolean): void {
    const payloadLen = s.ctl !== undefined ? s.ctl.length : s.flags & FLAG_FIN ? 0 : s.len;
    const out = this.datagram(HEADER_SIZE + payloadLen);
    if (!this.hasOutstanding()) this.rtoBase = now; // RFC 6298 §5.1
    const id = this.sendQueue.recordTransmission(s, now, this.rate);
    const wnd = this.receiveWindow();
    writeHeader(out, {
      conv: this.conv,
      seq: toWire(s.seq),
      ack: toWire(this.rcvNxt),
      flags: s.flags,
      window: this.windowField(wnd),
      tsval: id,
      tsecr: this.tsRecent,
    });
    if (s.ctl !== undefined) out.set(s.ctl, HEADER_SIZE);
    else if (payloadLen > 0) this.sendRing.read(s.seq - this.dataStart, payloadLen, out, HEADER_SIZE);
    this.outbox.push(out);

    if (isRetransmit) this.retransmits++;
    else if (s.ctl === undefined && (s.flags & FLAG_FIN) === 0) this.bytesSent += s.len;
    if (s.seq + s.len > this.sndNxt) this.sndNxt = s.seq + s.len;
    this.pacer.onSent(now, out.length, this.cc.pacingRate, this.mss);
    this.lastSend = now;
    this.afterAckSent(wnd);
  }

  /** A pure ACK at SND.NXT (`afterClose`: also once closed, to acknowledge a retransmission again). */
  private sendPureAck(afterClose = false): void {
    if (!afterClose && !this.isSynchronized() && this._state !== 'syn-received') {
      this.ackPolicy.immediate = false;
      return;
    }
    this.sendBareSegment(this.sndNxt);
  }

  /** A zero-length segment just below what the peer expects: it answers at once (window probe, keepalive). */
  private sendProbe(now: number): void {
    this.sendBareSegment(this.sndNxt - 1);
    this.lastSend = now;
  }

  /**
   * A segment without payload or flags carrying our ACK and window. Its tsval is 0 (no
   * transmission to echo), or the first id of the echo range it reports when both peers use them.
   */
  private sendBareSegment(seq: number): void {
    const out = this.datagram(HEADER_SIZE);
    const wnd = this.receiveWindow();
    const rangeStart = this.peerEchoRanges ? this.echoRun.rangeStart(this.tsRecent) : 0;
    if (rangeStart !== 0) this.echoRun.onRangeSent();
    writeHeader(out, {
      conv: this.conv,
      seq: toWire(seq),
      ack: toWire(this.rcvNxt),
      flags: 0,
      window: this.windowField(wnd),
      tsval: rangeStart,
      tsecr: this.tsRecent,
    });
    this.outbox.push(out);
    this.afterAckSent(wnd);
  }

  private afterAckSent(wnd: number): void {
    this.ackPolicy.onAckSent(this.rcvNxt);
    this.lastAdvertised = wnd;
  }

  // ------------------------------------------------------------------ helpers

  /**
   * Memory for one outgoing datagram, carved from a shared slab: one ArrayBuffer per datagram
   * made the garbage collector a tenth of the sender's time. A slab is reused only after
   * releaseTransmits(), otherwise replaced when full, so a datagram handed out stays valid for as
   * long as the caller keeps it.
   */
  private datagram(size: number): Uint8Array {
    if (this.slabUsed + size > this.slab.length) {
      const grow = this.slabReleased && !this.slabHeld;
      const grown = grow ? Math.min(this.slab.length * 2, MAX_SLAB_SIZE) : SLAB_SIZE;
      this.slab = new Uint8Array(Math.max(SLAB_SIZE, grown, size));
      this.slabUsed = 0;
      this.slabReleased = grow;
      this.slabHeld = false;
    }
    const out = this.slab.subarray(this.slabUsed, this.slabUsed + size);
    this.slabUsed += size;
    return out;
  }

  private rcvDataEnd(): number {
    return this.rcvFinSeq ?? this.rcvNxt;
  }

  private receiveWindow(): number {
    return Math.max(0, this.receiveBufferSize - (this.rcvDataEnd() - this.readSeq));
  }

  private windowField(wnd: number): number {
    return Math.min(0xffff, Math.floor(wnd / (1 << this.rwndScale)));
  }

  private sendBuffered(): number {
    const from = Math.max(this.sndUna, this.dataStart);
    return Math.max(0, this.sndDataEnd - from);
  }

  private hasOutstanding(): boolean {
    return this.sndUna < this.sndNxt;
  }

  private needsWindowProbe(): boolean {
    return (
      this.isSynchronized() &&
      !this.hasOutstanding() &&
      this.sndNxt < this.sndDataEnd &&
      this.sndUna + this.sndWnd <= this.sndNxt
    );
  }

  private isClosed(): boolean {
    return this._state === 'closed';
  }

  private isSynchronized(): boolean {
    switch (this._state) {
      case 'listen':
      case 'syn-sent':
      case 'syn-received':
      case 'closed':
        return false;
      default:
        return true;
    }
  }

  private keepaliveTime(): number {
    if (this.idleTimeout === false) return Number.POSITIVE_INFINITY;
    return Math.max(this.lastRecv, this.lastKeepalive) + this.idleTimeout / 3;
  }

  private keepaliveDue(now: number): boolean {
    return (
      this.idleTimeout !== false &&
      this.isSynchronized() &&
      !this.hasOutstanding() &&
      now >= this.keepaliveTime()
    );
  }
}

/** Next ring size: doubling from `current` until `needed` fits, at most `max`. */
function grownSize(current: number, needed: number, max: number): number {
  let size = current;
  while (size < needed) size *= 2;
  return Math.min(size, max);
}

/** Window-scale shift: halvings until the buffer fits 16 bits (libnice resize_receive_buffer). */
export function windowScaleFor(bufferSize: number): number {
  let shift = 0;
  let size = bufferSize;
  while (size > 0xffff) {
    shift++;
    size = Math.floor(size / 2);
  }
  return shift;
}
