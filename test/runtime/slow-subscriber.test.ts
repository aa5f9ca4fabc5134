import { describe, expect, it } from 'vitest';
import { Conductor, VirtualClock, type BatonEvent } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { ok, runToEnd, SimInstrument } from '../support/virtual-run.js';
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

    const result = await runToEnd(conductor, clock, id);
    const seenAtCompletion = slow.length;
    expect(result.outcome).toBe('completed');
    // The job ended well ahead of the subscriber: it had not seen half of the job's events.
    await waitFor(() => (all.includes('job.completed') ? true : undefined));
    expect(seenAtCompletion).toBeLessThan(all.length / 2);

    await conductor.shutdown();
    await waitFor(() => completedAfter);
    expect(slow).toEqual(all);
    expect(completedAfter).toBe(all.length);
  });
});
