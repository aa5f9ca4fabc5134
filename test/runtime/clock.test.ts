import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { longTimers, MAX_TIMER_MS, realClock, VirtualClock } from '../../src/index.js';

const DAY = 86_400_000;

/** A virtual clock that records every delay handed to it. */
function recording(clock: VirtualClock): { inner: SchedulerLike; delays: number[] } {
  const delays: number[] = [];
  const inner: SchedulerLike = {
    now: () => clock.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
      delays.push(delay ?? 0);
      return clock.schedule(work, delay, state);
    },
  };
  return { inner, delays };
}

describe('longTimers', () => {
  it('fires a delay beyond 2^31 - 1 ms at its full length, never asking the inner clock for more', () => {
    const clock = new VirtualClock();
    const { inner, delays } = recording(clock);
    const fired: number[] = [];
    longTimers(inner).schedule(() => fired.push(clock.now()), 30 * DAY);
    clock.advanceTo(30 * DAY - 1);
    expect(fired).toEqual([]);
    clock.advanceTo(30 * DAY);
    expect(fired).toEqual([30 * DAY]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
  });

  it('re-arms in chunks of at most maxTimerMs and keeps the state', () => {
    const clock = new VirtualClock();
    const { inner, delays } = recording(clock);
    const fired: Array<[number, string | undefined]> = [];
    longTimers(inner, 10).schedule((s) => fired.push([clock.now(), s]), 35, 'x');
    clock.advanceTo(100);
    expect(fired).toEqual([[35, 'x']]);
    expect(delays).toEqual([10, 10, 10, 5]);
  });

  it('passes short delays straight through', () => {
    const clock = new VirtualClock();
    const { inner, delays } = recording(clock);
    const fired: number[] = [];
    longTimers(inner, 10).schedule(() => fired.push(clock.now()), 7);
    clock.advanceTo(100);
    expect(fired).toEqual([7]);
    expect(delays).toEqual([7]);
  });

  it('lets the work re-schedule its own action, at any length', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    longTimers(clock, 10).schedule(function (this, n?: number) {
      fired.push(clock.now());
      if ((n ?? 0) < 2) this.schedule((n ?? 0) + 1, 25);
    }, 25, 0);
    clock.advanceTo(1_000);
    expect(fired).toEqual([25, 50, 75]);
  });

  it('cancels a long timer between chunks when unsubscribed', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const sub: Subscription = longTimers(clock, 10).schedule(() => fired.push(clock.now()), 35);
    clock.advanceTo(15);
    sub.unsubscribe();
    clock.advanceTo(100);
    expect(fired).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses a chunk shorter than 1 ms', () => {
    expect(() => longTimers(new VirtualClock(), 0)).toThrow(/maxTimerMs must be at least 1/);
  });
});

describe('realClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('honours a 25-day timer in full (Node timers overflow past 2^31 - 1 ms)', () => {
    vi.useFakeTimers();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      let fired = 0;
      realClock.schedule(() => fired++, 25 * DAY);
      vi.advanceTimersByTime(1_000);
      expect(fired).toBe(0);
      vi.advanceTimersByTime(25 * DAY - 1_001);
      expect(fired).toBe(0);
      vi.advanceTimersByTime(1);
      expect(fired).toBe(1);
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
