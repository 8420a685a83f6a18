// Congestion control is the sender's own business (the receiver never sees it), so it can differ
// from libnice's and stay wire-compatible. Two controllers share one small interface.

import type { RateSample } from './delivery-rate.js';

/**
 * What an ACK tells the controller. The rate fields (`deliveryRate`, `rateAppLimited`,
 * `priorDelivered`, `totalDelivered`) come from the delivery-rate estimator (`delivery-rate.ts`):
 * Bbr's bottleneck bandwidth is the windowed maximum of `deliveryRate`, and a round trip ends when
 * an ACK delivers a transmission sent after the previous round ended (`priorDelivered`).
 */
export interface AckSample extends RateSample {
  /** When the ACK arrived, ms. */
  now: number;
  /** Bytes newly delivered by this ACK (cumulatively acknowledged or reported received). */
  delivered: number;
  /** Bytes in flight after the ACK was processed. */
  inflight: number;
  /** RTT sample in ms, if this ACK gave one. */
  rtt: number | undefined;
  /** The sender is recovering from a loss. */
  inRecovery: boolean;
}

export interface CongestionController {
  readonly cwnd: number;
  /** Bytes per ms; Infinity when not pacing. */
  readonly pacingRate: number;
  onAck(s: AckSample): void;
  /** A loss episode started (once per round trip at most). */
  onCongestionEvent(now: number, inflight: number): void;
  /** A segment was judged lost. */
  onLoss(bytes: number): void;
  onRetransmissionTimeout(now: number): void;
  /** The RTT estimate, for pacing before any delivery-rate sample exists. */
  setSmoothedRtt(srtt: number): void;
}

const INITIAL_WINDOW_SEGMENTS = 10;

/** RFC 5681 slow start and congestion avoidance, RFC 6582 NewReno window on loss. */
export class NewReno implements CongestionController {
  cwnd: number;
  readonly pacingRate = Number.POSITIVE_INFINITY;
  private ssthresh = Number.POSITIVE_INFINITY;
  private acc = 0;

  constructor(private readonly mss: () => number) {
    this.cwnd = INITIAL_WINDOW_SEGMENTS * mss();
  }

  onAck(s: AckSample): void {
    if (s.inRecovery || s.delivered === 0) return;
    const mss = this.mss();
    if (this.cwnd < this.ssthresh) {
      this.cwnd += Math.min(s.delivered, mss); // RFC 5681 §3.1 slow start
    } else {
      this.acc += s.delivered;
      if (this.acc >= this.cwnd) {
        this.acc -= this.cwnd;
        this.cwnd += mss; // RFC 5681 §3.1 congestion avoidance
      }
    }
  }

  onCongestionEvent(_now: number, inflight: number): void {
    const mss = this.mss();
    this.ssthresh = Math.max(inflight / 2, 2 * mss); // RFC 5681 §3.1 equation (4)
    this.cwnd = this.ssthresh;
  }

  onRetransmissionTimeout(_now: number): void {
    const mss = this.mss();
    this.ssthresh = Math.max(this.cwnd / 2, 2 * mss);
    this.cwnd = mss; // RFC 5681 §3.1: after a timeout, cwnd is at most the loss window (1 segment)
  }

  setSmoothedRtt(_srtt: number): void {}

  onLoss(_bytes: number): void {}
}

/** Windowed maximum over the last `window` rounds (Kathleen Nichols' three-sample filter idea, simplified). */
class MaxFilter {
  private samples: { value: number; round: number }[] = [];
  constructor(private readonly window: number) {}
  update(value: number, round: number): void {
    while (this.samples.length > 0 && (this.samples[this.samples.length - 1]?.value ?? 0) <= value)
      this.samples.pop();
    this.samples.push({ value, round });
    while (this.samples.length > 0 && (this.samples[0]?.round ?? 0) <= round - this.window)
      this.samples.shift();
  }
  get best(): number {
    return this.samples[0]?.value ?? 0;
  }
}

const STARTUP_GAIN = 2.885; // 2/ln(2)
const PROBE_BW_GAINS = [1.25, 0.75, 1, 1, 1, 1, 1, 1] as const;
const BTLBW_ROUNDS = 10;
const MIN_RTT_WINDOW_MS = 10_000;
/** ACK aggregation (BBR's extra_acked): a max over two windows of this many rounds each. */
const EXTRA_ACKED_WINDOW_ROUNDS = 5;
/** At most this much time's worth of data (at the bottleneck rate) is added to cwnd for aggregation. */
const EXTRA_ACKED_MAX_MS = 100;

type BbrMode = 'startup' | 'drain' | 'probe-bw';

/**
 * A model-based controller in the spirit of BBR (Cardwell et al., "BBR: Congestion-Based
 * Congestion Control", ACM Queue 2016): bottleneck bandwidth = max delivery rate over ~10
 * round trips, propagation RTT = min RTT over 10 s, pacing at gain x bandwidth and cwnd at
 * 2 x BDP. Random loss does not shrink the model; only the delivery rate does.
 */
export class Bbr implements CongestionController {
  cwnd: number;
  pacingRate: number;
  private mode: BbrMode = 'startup';
  private readonly btlBw = new MaxFilter(BTLBW_ROUNDS);
  private minRtt = Number.POSITIVE_INFINITY;
  private minRttStamp = 0;
  private round = 0;
  private nextRoundDelivered = 0;
  private fullBw = 0;
  private fullBwCount = 0;
  private filledPipe = false;
  private cycleIndex = 2;
  private cycleStamp = 0;
  private pacingGain = STARTUP_GAIN;
  private cwndGain = STARTUP_GAIN;
  private srtt = 100;
  private roundLost = 0;
  private roundLossEvents = 0;
  private roundDelivered = 0;
  /** Smoothed per-round loss rate: the probing gain makes up for random loss. */
  private lossEwma = 0;
  // ACK aggregation: bytes acknowledged beyond what the bottleneck rate explains since the epoch.
  private ackEpochStart = 0;
  private ackEpochAcked = 0;
  private readonly extraAcked = [0, 0];
  private extraAckedSlot = 0;
  private extraAckedRounds = 0;

  constructor(private readonly mss: () => number) {
    this.cwnd = INITIAL_WINDOW_SEGMENTS * mss();
    this.pacingRate = (STARTUP_GAIN * this.cwnd) / this.srtt;
  }

  private get bdp(): number {
    const bw = this.btlBw.best;
    if (bw === 0 || !Number.isFinite(this.minRtt)) return INITIAL_WINDOW_SEGMENTS * this.mss();
    return bw * Math.max(this.minRtt, 1);
  }

  setSmoothedRtt(srtt: number): void {
    this.srtt = Math.max(srtt, 1);
    if (this.btlBw.best === 0) this.pacingRate = (STARTUP_GAIN * this.cwnd) / this.srtt;
  }

  onAck(s: AckSample): void {
    const mss = this.mss();
    let roundStart = false;
    if (s.delivered > 0 && s.priorDelivered >= this.nextRoundDelivered) {
      this.nextRoundDelivered = s.totalDelivered;
      this.round++;
      roundStart = true;
    }
    this.roundDelivered += s.delivered;
    let heavyLoss = false;
    if (roundStart) {
      // BBRv2-style: a round that lost more than 10 % while the bandwidth stopped growing means
      // the bottleneck queue overflowed (random loss alone does not stop the growth).
      const lossRate = this.roundLost / Math.max(this.roundLost + this.roundDelivered, 1);
      heavyLoss = this.roundLossEvents >= 3 && lossRate > 0.1;
      if (this.roundLost + this.roundDelivered > 0) this.lossEwma += (lossRate - this.lossEwma) / 4;
      this.roundLost = 0;
      this.roundLossEvents = 0;
      this.roundDelivered = 0;
    }
    if (s.deliveryRate !== undefined && (s.deliveryRate >= this.btlBw.best || !s.rateAppLimited)) {
      this.btlBw.update(s.deliveryRate, this.round);
    }
    if (s.rtt !== undefined && (s.rtt <= this.minRtt || s.now - this.minRttStamp > MIN_RTT_WINDOW_MS)) {
      this.minRtt = Math.max(s.rtt, 0.05);
      this.minRttStamp = s.now;
    }
    if (roundStart && !this.filledPipe && !s.rateAppLimited) {
      const bw = this.btlBw.best;
      if (bw >= this.fullBw * 1.25) {
        this.fullBw = bw;
        this.fullBwCount = 0;
      } else if (++this.fullBwCount >= 3 || heavyLoss) {
        this.filledPipe = true;
      }
    }
    if (this.mode === 'startup' && this.filledPipe) {
      this.mode = 'drain';
      this.pacingGain = 1 / STARTUP_GAIN;
      this.cwndGain = STARTUP_GAIN;
    }
    if (this.mode === 'drain' && s.inflight <= this.bdp) {
      this.enterProbeBw(s.now);
    }
    if (this.mode === 'probe-bw') this.advanceCycle(s);
    this.updateAckAggregation(s, roundStart);

    const bw = this.btlBw.best;
    if (bw > 0) {
      // BBR: before the pipe is full, never lower the pacing rate (early samples are tiny).
      const rate = this.pacingGain * bw;
      if (this.filledPipe || rate > this.pacingRate) this.pacingRate = rate;
    }
    this.pacingRate = Math.max(this.pacingRate, (4 * mss) / this.srtt);
    const target = this.cwndGain * this.bdp + 3 * mss + this.aggregationCwnd();
    if (this.filledPipe) this.cwnd = Math.min(this.cwnd + s.delivered, target);
    else this.cwnd = Math.max(this.cwnd, Math.min(this.cwnd + s.delivered, Math.max(target, this.cwnd)));
    this.cwnd = Math.max(this.cwnd, 4 * mss);
  }

  /**
   * ACKs often arrive in bursts: the receiver (or its event loop, or a wireless link) holds them
   * and then acknowledges a batch at once. A cwnd of 2 x BDP then empties before the batch's ACK
   * comes and the sender stalls. As BBR does (extra_acked), measure how many bytes were
   * acknowledged beyond what the bottleneck rate explains since the start of an ACK epoch, keep
   * the maximum over about ten rounds, and allow that much more in flight.
   */
  private updateAckAggregation(s: AckSample, roundStart: boolean): void {
    if (s.delivered <= 0) return;
    if (s.inRecovery) {
      // An ACK that fills a hole acknowledges at once all that arrived behind it: that is
      // recovery, not aggregation. Start a fresh epoch after it.
      this.ackEpochAcked = 0;
      this.ackEpochStart = s.now;
      return;
    }
    if (roundStart && ++this.extraAckedRounds >= EXTRA_ACKED_WINDOW_ROUNDS) {
      this.extraAckedRounds = 0;
      this.extraAckedSlot ^= 1;
      this.extraAcked[this.extraAckedSlot] = 0;
    }
    const bw = this.btlBw.best;
    let expected = bw * (s.now - this.ackEpochStart);
    // A new epoch when ACKs are no faster than the model (no aggregation now) or the epoch is old.
    if (this.ackEpochAcked <= expected || this.ackEpochAcked + s.delivered >= 0xfffff * this.mss()) {
      this.ackEpochAcked = 0;
      this.ackEpochStart = s.now;
      expected = 0;
    }
    this.ackEpochAcked += s.delivered;
    const extra = Math.min(this.ackEpochAcked - expected, this.cwnd);
    if (extra > (this.extraAcked[this.extraAckedSlot] as number))
      this.extraAcked[this.extraAckedSlot] = extra;
  }

  private aggregationCwnd(): number {
    if (!this.filledPipe) return 0;
    const extra = Math.max(this.extraAcked[0] as number, this.extraAcked[1] as number);
    return Math.min(extra, this.btlBw.best * EXTRA_ACKED_MAX_MS);
  }

  private enterProbeBw(now: number): void {
    this.mode = 'probe-bw';
    this.cwndGain = 2;
    this.cycleIndex = 2;
    this.cycleStamp = now;
    this.pacingGain = PROBE_BW_GAINS[this.cycleIndex] ?? 1;
  }

  private advanceCycle(s: AckSample): void {
    const minRtt = Number.isFinite(this.minRtt) ? this.minRtt : this.srtt;
    let advance = s.now - this.cycleStamp > minRtt;
    if (this.pacingGain > 1) advance &&= s.inflight >= this.pacingGain * this.bdp;
    if (this.pacingGain < 1) advance ||= s.inflight <= this.bdp;
    if (this.pacingGain > 1 && s.now - this.cycleStamp > 2 * minRtt) advance = true;
    if (!advance) return;
    this.cycleIndex = (this.cycleIndex + 1) % PROBE_BW_GAINS.length;
    this.cycleStamp = s.now;
    this.pacingGain = this.probeGain(PROBE_BW_GAINS[this.cycleIndex] ?? 1);
  }

  /**
   * Under random loss a fraction of what is sent never arrives, so probing at 1.25 x the
   * delivery rate would only deliver 1.25 x (1 - loss): scale the probing gain up to compensate.
   */
  private probeGain(gain: number): number {
    if (gain <= 1) return gain;
    return gain / (1 - Math.min(this.lossEwma, 0.5));
  }

  onCongestionEvent(_now: number, _inflight: number): void {
    // The model ignores isolated loss; the delivery rate carries the congestion signal.
  }

  onRetransmissionTimeout(_now: number): void {
    this.cwnd = 4 * this.mss();
  }

  onLoss(bytes: number): void {
    this.roundLost += bytes;
    this.roundLossEvents++;
  }
}
