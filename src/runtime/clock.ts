import { asyncScheduler, VirtualAction, VirtualTimeScheduler, type SchedulerLike } from 'rxjs';

/**
 * Every timer of the runtime (backoff, timeouts, rate-limit expiry) goes through one
 * RxJS scheduler, and `now()` of that scheduler is the only clock the runtime reads.
 */
export type Clock = SchedulerLike;

export const realClock: Clock = asyncScheduler;

/**
 * Virtual time for tests and simulation: nothing happens until the test advances it, and
 * then everything due happens in order, instantly.
 */
export class VirtualClock extends VirtualTimeScheduler {
  constructor(start = 0) {
    super(VirtualAction, Infinity);
    this.frame = start;
  }

  /** Timers scheduled and not yet fired. */
  get pendingTimers(): number {
    return this.actions.length;
  }

  /** Due time of the earliest timer, if any. */
  nextDue(): number | undefined {
    return this.actions[0]?.delay;
  }

  /** Fires every timer due at or before `time`, in order, and leaves the clock at `time`. */
  advanceTo(time: number): void {
    this.maxFrames = time;
    try {
      this.flush();
    } finally {
      this.maxFrames = Infinity;
    }
    if (time > this.frame) this.frame = time;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.frame + ms);
  }

  /** Jumps to the earliest timer and fires everything due then; false when none is left. */
  runNext(): boolean {
    const due = this.nextDue();
    if (due === undefined) return false;
    this.advanceTo(due);
    return true;
  }
}
