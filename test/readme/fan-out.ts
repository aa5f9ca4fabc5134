/** A fan-out run to its end in virtual time under the default ready window, and the most sheets it held at once. */
import { expect } from 'vitest';
import { Conductor, VirtualClock } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { ok, runToEnd, SimInstrument } from '../support/virtual-run.js';

export interface FanOutPeaks {
  /** The most sheets `ready` at once. */
  ready: number;
  /** The most active sheets (`ready` … `fermata`, the live actors) at once. */
  live: number;
}

export async function fanOutPeaks(concurrency: number, sheets: number): Promise<FanOutPeaks> {
  const clock = new VirtualClock();
  const score = buildScore({ concurrency, instruments: { a: { concurrency } }, stages: [{ id: 'w', fanOut: sheets, instrument: 'a' }] });
  const conductor = new Conductor({ clock });
  let jobId = '';
  const peaks: FanOutPeaks = { ready: 0, live: 0 };
  const sample = (): void => {
    if (jobId === '') return;
    const { pending: _pending, completed: _completed, failed: _failed, skipped: _skipped, cancelled: _cancelled, ...active } = conductor.status(jobId).counts;
    peaks.ready = Math.max(peaks.ready, active.ready);
    peaks.live = Math.max(peaks.live, Object.values(active).reduce((sum, n) => sum + n, 0));
  };
  const a = new SimInstrument('a', clock, () => ({ durationMs: 10, outcome: ok }), { onStart: sample });
  jobId = conductor.register(score, { instruments: { a } });
  sample();
  const subscription = conductor.events$.subscribe(sample);
  expect((await runToEnd(conductor, clock, jobId)).counts.completed).toBe(sheets);
  subscription.unsubscribe();
  await conductor.shutdown();
  return peaks;
}
