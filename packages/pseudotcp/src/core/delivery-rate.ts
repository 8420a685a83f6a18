// Delivery-rate estimation (draft-cheng-iccrg-delivery-rate-estimation): each transmission records
// how much had been delivered when it left; when an ACK reports it delivered, the bytes delivered
// in between over the time they took give a rate sample. The BBR-style controller
// (`congestion.ts`) builds its bottleneck-bandwidth model from these samples (`AckSample`
// `deliveryRate`, `rateAppLimited`) and counts round trips with `priorDelivered`/`totalDelivered`.

/** What the estimator records on a transmission when it is sent (the draft's per-packet state). */
export interface DeliverySnapshot {
  /** When it was sent, ms. */
  sentAt: number;
  /** Total bytes delivered when it was sent. */
  delivered: number;
  /** When that total was last raised, ms. */
  deliveredTime: number;
  /** When the first transmission of its flight was sent, ms. */
  firstSentTime: number;
  /** Sent while the application, not the network, limited sending. */
  appLimited: boolean;
}

/** The estimator's part of an ACK's sample, filled by `DeliveryRateEstimator.sample`. */
export interface RateSample {
  /** Delivery rate in bytes per ms, or undefined when this ACK gives no valid sample. */
  deliveryRate: number | undefined;
  /** The newest delivered transmission was sent while application-limited. */
  rateAppLimited: boolean;
  /** Total delivered bytes when the newest delivered transmission was sent. */
  priorDelivered: number;
  /** Total delivered bytes after this ACK. */
  totalDelivered: number;
}

/** Delivered bytes and their timing; one rate sample per ACK. */
export class DeliveryRateEstimator {
  /** Total bytes delivered (cumulatively acknowledged or reported received). */
  delivered = 0;
  /** Bytes newly delivered by the ACK being processed (since `beginAck`). */
  newlyDelivered = 0;
  /** When `delivered` was last raised (or the current flight began), ms. */
  deliveredTime = 0;
  /** When the first transmission of the current flight was sent, ms. */
  firstSentTime = 0;
  /** Until `delivered` passes this, samples are application-limited; 0 = not limited. */
  private appLimitedUntil = 0;
  /** The most recently sent transmission delivered by the ACK being processed. */
  private newest: DeliverySnapshot | undefined = undefined;

  /** Sending is application-limited now: a transmission leaving now records it. */
  get appLimited(): boolean {
    return this.appLimitedUntil > 0;
  }

  /**
   * A transmission leaves at `now` with `inflight` bytes in flight before it; the caller then
   * records `delivered`, `deliveredTime`, `firstSentTime` and `appLimited` on it (the draft's
   * per-packet state), so that the record is built in one literal of one shape.
   */
  onSend(now: number, inflight: number): void {
    if (inflight === 0) {
      // A new flight starts: intervals are measured from here.
      this.firstSentTime = now;
      this.deliveredTime = now;
    }
  }

  /** Nothing more to send: the samples taken until what is in flight is delivered are application-limited. */
  markAppLimited(inflight: number): void {
    this.appLimitedUntil = Math.max(this.delivered + inflight, 1);
  }

  /** Starts an ACK. */
  beginAck(): void {
    this.newlyDelivered = 0;
    this.newest = undefined;
  }

  /** A transmitted segment of `bytes` was delivered; `tx` is its latest transmission, if any. */
  onDelivered(bytes: number, tx: DeliverySnapshot | undefined, now: number): void {
    this.newlyDelivered += bytes;
    this.delivered += bytes;
    this.deliveredTime = now;
    if (tx !== undefined && (this.newest === undefined || tx.sentAt >= this.newest.sentAt)) {
      this.newest = tx;
    }
  }

  /** The front of a segment was acknowledged (the peer trimmed it to its window). */
  onPartlyDelivered(bytes: number): void {
    this.newlyDelivered += bytes;
    this.delivered += bytes;
  }

  /**
   * The rate sample of the ACK being processed, written into `out`. `minRtt` (ms, 0 when unknown)
   * rejects intervals under half of it: too short to measure a rate.
   */
  sample(out: RateSample, minRtt: number): void {
    if (this.appLimitedUntil > 0 && this.delivered > this.appLimitedUntil) this.appLimitedUntil = 0;
    out.deliveryRate = undefined;
    out.rateAppLimited = false;
    out.priorDelivered = this.delivered;
    out.totalDelivered = this.delivered;
    const tx = this.newest;
    if (tx === undefined) return;
    out.priorDelivered = tx.delivered;
    out.rateAppLimited = tx.appLimited;
    // The draft: the longer of the send and ACK intervals, so that ACK compression does not
    // inflate the rate.
    const sendElapsed = tx.sentAt - tx.firstSentTime;
    const ackElapsed = this.deliveredTime - tx.deliveredTime;
    this.firstSentTime = tx.sentAt;
    const interval = Math.max(sendElapsed, ackElapsed);
    if (interval > 0 && interval >= minRtt * 0.5)
      out.deliveryRate = (this.delivered - tx.delivered) / interval;
  }
}
