import {
  asyncScheduler,
  Subscription,
  VirtualAction,
  VirtualTimeScheduler,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';

/**
 * Every timer of the runtime (backoff, timeouts, rate-limit expiry) goes through one
 * RxJS scheduler, and `now()` of that scheduler is the only clock the runtime reads.
 */
export type Clock = SchedulerLike;

/** The longest delay a Node.js timer honours; beyond it Node fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A clock whose timers are honoured at any length: a delay beyond `maxTimerMs` is slept in
 * chunks of at most `maxTimerMs` on `inner`, re-armed against `inner.now()` until it is due.
 * The actions it hands to the work keep the SchedulerAction contract (`this.schedule(state,
 * delay)` re-arms the same action; unsubscribing cancels it).
 */
export function longTimers(inner: SchedulerLike, maxTimerMs = MAX_TIMER_MS): Clock {
  if (!(maxTimerMs >= 1)) throw new RangeError(`longTimers: maxTimerMs must be at least 1, got ${maxTimerMs}`);
  return {
    now: () => inner.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      return new LongAction(inner, work, maxTimerMs).schedule(state, delay);
    },
  };
}

class LongAction<T> extends Subscription implements SchedulerAction<T> {
  private timer: Subscription | undefined;
  private state: T | undefined;
  private due = 0;

  constructor(
    private readonly inner: SchedulerLike,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
    private readonly maxTimerMs: number,
  ) {
    super();
    this.add(() => this.timer?.unsubscribe());
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    this.due = this.inner.now() + delay;
    this.arm();
    return this;
  }

  private arm(): void {
    this.timer?.unsubscribe();
    const remaining = this.due - this.inner.now();
    if (remaining > this.maxTimerMs) {
      this.timer = this.inner.schedule(() => this.arm(), this.maxTimerMs);
    } else {
      this.timer = this.inner.schedule(() => this.fire(), remaining);
    }
  }

  private fire(): void {
    this.timer = undefined;
    this.work.call(this, this.state);
  }
}

/** Real time: RxJS's `asyncScheduler`, safe for delays beyond 2^31 − 1 ms. */
export const realClock: Clock = longTimers(asyncScheduler);

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
