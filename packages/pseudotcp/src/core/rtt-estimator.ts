// Retransmission timeout from RTT samples, RFC 6298 §2 (alpha 1/8, beta 1/4, K 4).
// Deviation allowed by RFC 6298 §2.4 ("SHOULD be rounded up to 1 second"): the minimum is
// configurable (default 200 ms here; libnice uses 1000 ms).

export class RttEstimator {
  srtt = 0;
  rttvar = 0;
  rto: number;
  hasSample = false;

  constructor(
    private readonly minRto: number,
    private readonly maxRto: number,
    initialRto: number,
  ) {
    this.rto = initialRto;
  }

  sample(rtt: number): void {
    const r = Math.max(rtt, 0);
    if (!this.hasSample) {
      // RFC 6298 §2.2: first measurement.
      this.srtt = r;
      this.rttvar = r / 2;
      this.hasSample = true;
    } else {
      // RFC 6298 §2.3: subsequent measurements, RTTVAR before SRTT.
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.rto = this.bound(this.srtt + Math.max(1, 4 * this.rttvar));
  }

  /** RFC 6298 §5.5: back off the timer after it expires. */
  backOff(limit = this.maxRto): void {
    this.rto = Math.min(Math.max(this.rto * 2, this.minRto), Math.max(limit, this.minRto));
  }

  private bound(rto: number): number {
    return Math.min(this.maxRto, Math.max(this.minRto, rto));
  }
}
