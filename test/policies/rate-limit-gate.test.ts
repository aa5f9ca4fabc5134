/**
 * The rate-limit gate's one expiry timer on a clock that moves on between any two readings,
 * as the real one does: however early or late a wake-up fires, a limit that ended is pruned
 * and announced, and the gate stops holding its instrument back.
 */
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/runtime/event-bus.js';
import { RateLimitGate } from '../../src/runtime/gates/rate-limit-gate.js';
import { AttemptAbort } from '../../src/actors/attempt-abort.js';
import { InstrumentDirectory } from '../../src/runtime/gates/instrument-directory.js';

/** Every `now()` is 1 ms after the one before; timers fire only when the test says so. */
class TickingClock {
  time = 0;
  readonly timers: Array<{ work: () => void; cancelled: boolean }> = [];
  now(): number {
    return this.time++;
  }
  schedule(work: (this: SchedulerAction<unknown>) => void): Subscription {
    const timer = { work: work as () => void, cancelled: false };
    this.timers.push(timer);
    return { unsubscribe: () => void (timer.cancelled = true) } as Subscription;
  }
  /** Fires the oldest live timer; false when none is left. */
  fireNext(): boolean {
    const next = this.timers.find((timer) => !timer.cancelled);
    if (next === undefined) return false;
    next.cancelled = true;
    next.work();
    return true;
  }
}

describe('rate-limit gate expiry', () => {
  it('holds its instrument back while the limit lasts', () => {
    const clock = new TickingClock();
    const gate = new RateLimitGate({ clock: clock as unknown as SchedulerLike, bus: new EventBus(), inspect: undefined, instruments: new InstrumentDirectory(), shared: undefined, changed: () => {}, lifted: () => {} });
    gate.ended({ jobId: 'j', sheetId: 's', instrument: 'api', model: undefined, abort: new AttemptAbort() }, { health: 'none', rateLimitWaitMs: 1_000, spec: undefined, at: 0 });
    expect(gate.blocks('api', undefined)).toMatchObject({ admits: 0, reason: 'rate_limited' });
  });

  it.each(Array.from({ length: 12 }, (_, i) => i + 1))('a %i ms limit ends, whenever its wake-ups fire', (waitMs) => {
    const clock = new TickingClock();
    const lifted: string[] = [];
    const gate = new RateLimitGate({
      clock: clock as unknown as SchedulerLike,
      bus: new EventBus(),
      inspect: undefined,
      instruments: new InstrumentDirectory(),
      shared: undefined,
      changed: () => {},
      lifted: (instrument) => lifted.push(instrument),
    });
    gate.ended({ jobId: 'j', sheetId: 's', instrument: 'api', model: undefined, abort: new AttemptAbort() }, { health: 'none', rateLimitWaitMs: waitMs, spec: undefined, at: 0 });

    // Each wake-up fires at once (early, for the limit), and reads the clock a few times.
    let wakeUps = 0;
    while (clock.fireNext()) wakeUps++;

    expect(lifted).toEqual(['api']);
    expect(gate.blocks('api', undefined)).toBeUndefined();
    expect(gate.limits.history().map((change) => change.type)).toEqual(['active', 'cleared']);
    expect(wakeUps).toBeLessThanOrEqual(waitMs + 1);
  });
});
