// Receive reassembly: the ranges of sequence space received above RCV.NXT (out of order), kept
// sorted and disjoint. The bytes themselves are in the receive ring; this holds only where they
// are, so that RCV.NXT can jump over them when the hole before them is filled (RFC 9293 §3.10.7.4:
// segments beyond RCV.NXT are held for later processing).

/** A half-open range [start, end) of unwrapped sequence numbers. */
interface Interval {
  start: number;
  end: number;
}

/** Sorted, disjoint ranges of sequence space received out of order. */
export class ReassemblyIntervals {
  private readonly list: Interval[] = [];

  /** True when nothing is held out of order. */
  get isEmpty(): boolean {
    return this.list.length === 0;
  }

  /** The end of the highest range held, or undefined when none is. */
  get highestEnd(): number | undefined {
    return this.list[this.list.length - 1]?.end;
  }

  /** Adds [start, end), merging it with the ranges it overlaps or touches. */
  insert(start: number, end: number): void {
    const list = this.list;
    let i = 0;
    while (i < list.length && (list[i] as Interval).end < start) i++;
    let s = start;
    let e = end;
    while (i < list.length && (list[i] as Interval).start <= e) {
      const cur = list[i] as Interval;
      s = Math.min(s, cur.start);
      e = Math.max(e, cur.end);
      list.splice(i, 1);
    }
    list.splice(i, 0, { start: s, end: e });
  }

  /** The new RCV.NXT once every range that `rcvNxt` reaches is taken in (those ranges are dropped). */
  advance(rcvNxt: number): number {
    let next = rcvNxt;
    while (this.list.length > 0 && (this.list[0] as Interval).start <= next) {
      next = Math.max(next, (this.list.shift() as Interval).end);
    }
    return next;
  }
}
