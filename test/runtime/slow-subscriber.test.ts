import { describe, expect, it } from 'vitest';
import { Conductor, VirtualClock, type BatonEvent } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { ok, SimInstrument, stepUntil } from '../support/virtual-run.js';
import { waitFor } from '../support/wait-for.js';

/** Holds the event loop for `ms` of real time, as a synchronous subscriber that does real work would. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // blocking on purpose
  }
}

describe('a slow events$ subscriber', () => {
  it('lags behind while the job runs to its end; it still gets every event, in order, then complete', async () => {
    const clock = new VirtualClock();
    const conductor = new Conductor({ clock, random: () => 0.5 });
    const fn = new SimInstrument('fn', clock, () => ({ durationMs: 100, outcome: ok }));
    const all: BatonEvent['type'][] = [];
    const slow: BatonEvent['type'][] = [];
    let completedAfter: number | undefined;
    conductor.events$.subscribe((event) => all.push(event.type));
    conductor.events$.subscribe({
      next: (event) => {
        slow.push(event.type);
        // Longer than a slice may hold the loop, so each slice delivers one event.
        busy(10);
      },
      complete: () => (completedAfter = slow.length),
    });
    const id = conductor.register(buildScore({ concurrency: 1, stages: [{ id: 'w', fanOut: 8 }] }), { instruments: { fn } });

    await stepUntil(clock, () => conductor.status(id).state === 'completed');
    const seenAtEnd = slow.length;
    // The job ended well ahead of the subscriber: it had not seen half of the job's events.
    expect(seenAtEnd).toBeLessThan(all.length / 2);
    // Yet the job's waiters hear of its end only once the subscriber has seen it too.
    const result = await conductor.waitForCompletion(id);
    expect(result.outcome).toBe('completed');
    expect(slow).toEqual(all);
    expect(slow.at(-1)).toBe('job.completed');

    await conductor.shutdown();
    expect(completedAfter).toBe(all.length);
  });

  it('leaves the event loop to others after a slice that ran over, before delivering more', async () => {
    const clock = new VirtualClock();
    const conductor = new Conductor({ clock, random: () => 0.5 });
    const fn = new SimInstrument('fn', clock, () => ({ durationMs: 100, outcome: ok }));
    // Counts turns of the event loop that something else gets.
    let ticks = 0;
    let counting = true;
    const tick = (): void => {
      ticks++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const ticksAtDelivery: number[] = [];
    conductor.events$.subscribe(() => {
      ticksAtDelivery.push(ticks);
      busy(10);
    });
    conductor.register(buildScore({ stages: [{ id: 'w', fanOut: 3 }] }), { instruments: { fn } });
    await waitFor(() => (ticksAtDelivery.length >= 4 ? true : undefined));
    counting = false;
    const between = ticksAtDelivery.slice(1).map((at, i) => at - ticksAtDelivery[i]!);
    // Without the pause the next slice would come on the very next turn (one tick between).
    expect(Math.min(...between.slice(0, 3))).toBeGreaterThan(1);
    await conductor.shutdown();
  });
});
