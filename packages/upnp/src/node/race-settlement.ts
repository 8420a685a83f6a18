// What mapPort's race leaves on the router once it is decided: the requests of the losers.
//
// A loser whose mapping request already went out is not abandoned blind: its answer is awaited
// (a bounded while) and what it made is deleted; a request that stays unanswered is deleted as
// asked (PCP: same nonce, lifetime 0, RFC 6887 §15; NAT-PMP: lifetime 0, RFC 6886 §3.4; UPnP:
// DeletePortMapping). One router can serve PCP, NAT-PMP and UPnP-IGD from one rule table
// (miniupnpd does), so a loser with the winner's external port and protocol on the same router may
// hold the very rule the winner holds: deleting it would delete the winner's. Such a loser is kept
// until the winner's close and deleted just after the winner's own deletion (whichever protocol the
// router files the rule under, it then goes).
import { abortError } from '../abort.js';
import { type CloseGuard, mappingInternals, type PortMapping } from './mapping.js';

/** A request that may have reached the router and stayed unanswered: what it asked for. */
export interface AbandonedRequest {
  /** the device asked */
  gateway: string;
  /** the router's external address, when known */
  externalAddress: string | undefined;
  /** the external port asked for */
  externalPort: number;
  protocol: 'udp' | 'tcp';
  /** deletes what the request may have made */
  remove(): Promise<void>;
}

/** What the mapping paths get from mapPort's race. */
export interface RaceSignals {
  /** Aborts when the race is over (won, failed or aborted): send no new request to the router. */
  over: AbortSignal;
  /** Aborts when a request already sent stops being waited for (a while after `over`). */
  giveUp: AbortSignal;
  /** A request that may have reached the router was given up unanswered: it is deleted. */
  abandoned(request: AbandonedRequest): void;
}

/** Something the race left on the router (or may have). */
interface Leftover {
  gateway: string;
  externalAddress: string | undefined;
  externalPort: number;
  protocol: 'udp' | 'tcp';
  remove(): Promise<void>;
  /** stops renewing it (a late loser's mapping) */
  stop(): void;
}

type WinnerState = 'racing' | 'none' | 'open' | 'closing' | 'closed' | 'forgotten';

const ignore = (): undefined => undefined;

/** Tracks the race's losers until they are settled; guards the close of its winner. */
export class RaceSettlement implements CloseGuard {
  private state: WinnerState = 'racing';
  private winner: PortMapping | undefined;
  /** contenders still running and deletions under way */
  private readonly pending = new Set<Promise<void>>();
  /** leftovers that came before the race was decided */
  private readonly undecided: Leftover[] = [];
  /** leftovers sharing the winner's rule: deleted after the winner's own deletion */
  private readonly held: Leftover[] = [];

  /** Waits for `work` (a contender, a deletion) before the winner's close deletes. */
  track(work: Promise<unknown>): void {
    const settled = work.then(ignore, ignore);
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
  }

  /** The race is decided: `winner` won, or none did (failed, aborted). */
  decide(winner: PortMapping | undefined): void {
    this.winner = winner;
    this.state = winner === undefined ? 'none' : 'open';
    if (winner !== undefined) mappingInternals(winner).guard = this;
    for (const leftover of this.undecided.splice(0)) this.place(leftover);
  }

  /** A contender mapped after the race was decided. */
  lateMapping(mapping: PortMapping): void {
    const { remove } = mappingInternals(mapping);
    this.place({
      gateway: mapping.gateway,
      externalAddress: mapping.externalAddress,
      externalPort: mapping.externalPort,
      protocol: mapping.protocol,
      remove: () => remove(),
      stop: () => mapping.forget(),
    });
  }

  /** A contender's request was given up unanswered. */
  abandoned(request: AbandonedRequest): void {
    this.place({ ...request, stop: ignore });
  }

  private place(leftover: Leftover): void {
    if (this.state === 'racing') {
      this.undecided.push(leftover);
      return;
    }
    leftover.stop();
    if (this.winner !== undefined && sharesRule(leftover, this.winner)) {
      if (this.state === 'forgotten') return; // lapses with the winner's rule
      if (this.state === 'open' || this.state === 'closing') {
        this.held.push(leftover);
        return;
      }
      // 'closed': the winner's deletion went out already, this came after it
    }
    this.track(leftover.remove());
  }

  async close(removeOwn: () => Promise<void>, signal: AbortSignal | undefined): Promise<void> {
    this.state = 'closing';
    try {
      await this.settled(signal);
    } catch (error) {
      this.closedWithoutDeleting();
      throw error;
    }
    let failure: { error: unknown } | undefined;
    try {
      await removeOwn();
    } catch (error) {
      failure = { error };
    }
    this.state = 'closed';
    const results = await Promise.allSettled(this.held.splice(0).map((l) => l.remove()));
    // The router may have filed the rule under a loser's protocol (it refuses the winner's
    // deletion then, or deletes nothing): the loser's deletion removed it.
    if (failure !== undefined && !results.some((r) => r.status === 'fulfilled')) throw failure.error;
  }

  forgotten(): void {
    this.state = 'forgotten';
    this.held.splice(0);
  }

  closedWithoutDeleting(): void {
    this.state = 'closed';
    for (const leftover of this.held.splice(0)) this.track(leftover.remove());
  }

  /** Resolves when no contender runs and no deletion is under way; rejects when `signal` aborts. */
  private async settled(signal: AbortSignal | undefined): Promise<void> {
    while (this.pending.size > 0) {
      const all = Promise.all(this.pending);
      if (signal === undefined) await all;
      else await untilAborted(all, signal);
    }
  }
}

/**
 * The same rule on the router: same protocol and external port on the same device (or behind the
 * same external address: one public port forwards one way only).
 */
function sharesRule(leftover: Leftover, winner: PortMapping): boolean {
  return (
    leftover.protocol === winner.protocol &&
    leftover.externalPort === winner.externalPort &&
    (leftover.gateway === winner.gateway ||
      (leftover.externalAddress !== undefined && leftover.externalAddress === winner.externalAddress))
  );
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal, 'deleting the port mapping was aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal, 'deleting the port mapping was aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
