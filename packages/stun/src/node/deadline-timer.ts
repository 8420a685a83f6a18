// The one timer a Node adapter keeps for its sans-IO core: the core says when it next needs time
// (`pollTimeout()`), the adapter arms a timer for then, and re-arms only when that moves earlier.

/**
 * One timer for a sans-IO core's next deadline. `set(at)` arms it for `at` (on the clock `now`
 * reads), keeps an earlier timer already armed, and clears it when `at` is `undefined`; `fire` runs
 * once the deadline has passed. Used by ICE's and TURN's Node adapters.
 */
export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private at = Number.POSITIVE_INFINITY;

  /**
   * @param fire called when the deadline has passed (the timer is then disarmed)
   * @param now the clock deadlines are given on, in milliseconds
   */
  constructor(
    private readonly fire: () => void,
    private readonly now: () => number,
  ) {}

  /** Arms the timer for `at`; a timer already armed for an earlier or equal time stays. `undefined` clears it. */
  set(at: number | undefined): void {
    if (at === undefined) {
      this.clear();
      return;
    }
    if (this.timer && at >= this.at) return;
    if (this.timer) clearTimeout(this.timer);
    this.at = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.at = Number.POSITIVE_INFINITY;
        this.fire();
      },
      Math.max(0, Math.ceil(at - this.now())),
    );
  }

  /** Whether a timer is armed (a deadline is pending). */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** Disarms the timer. */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Number.POSITIVE_INFINITY;
  }
}
