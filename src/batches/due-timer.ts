import type { Subscription } from 'rxjs';
import type { Clock } from '../runtime/clock.js';

/**
 * One wake-up call on the run's clock for the earliest group due by age (`flushAfter`).
 * Setting the same due time again keeps the timer; a new one replaces it.
 */
export class DueTimer {
  private armed: { at: number; subscription: Subscription } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly wake: () => void,
  ) {}

  /** Wakes the run at `due`; nothing when `due` is absent or already past. */
  set(due: number | undefined): void {
    const now = this.clock.now();
    if (due === undefined || due <= now || this.armed?.at === due) return;
    this.clear();
    const subscription = this.clock.schedule(() => {
      this.armed = undefined;
      this.wake();
    }, due - now);
    this.armed = { at: due, subscription };
  }

  clear(): void {
    this.armed?.subscription.unsubscribe();
    this.armed = undefined;
  }
}
