import type { fc } from '@fast-check/vitest';
import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

/**
 * A clock whose timers fire when the fast-check scheduler says so, interleaved at random
 * with everything else it schedules. Firing a timer moves time to at least its due time, so
 * code that checks `now()` against a deadline sees the deadline passed.
 */
export class ShuffledClock implements SchedulerLike {
  private time = 0;

  constructor(private readonly scheduler: fc.Scheduler) {}

  now(): number {
    return this.time;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const subscription = new Subscription();
    const due = this.time + delay;
    void this.scheduler.schedule(Promise.resolve(), `timer +${delay}`).then(() => {
      if (subscription.closed) return;
      this.time = Math.max(this.time, due);
      work.call(undefined as unknown as SchedulerAction<T>, state);
    });
    return subscription;
  }
}
