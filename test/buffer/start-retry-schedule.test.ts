import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Conductor, DEFAULT_START_RETRY, VirtualClock, type BatonEvent } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { runToEnd, settle } from '../support/virtual-run.js';
import { SlowStartInstrument } from './slow-start.js';

const root = resolve(import.meta.dirname, '../..');

/** The waits after each failed start but the last, as the default policy computes them. */
function defaultWaits(): number[] {
  const { tries, initialMs, factor, maxMs } = DEFAULT_START_RETRY;
  return Array.from({ length: tries - 1 }, (_, i) => Math.min(maxMs, initialMs * factor ** i));
}

/** Text with its line breaks (and the indentation after them) read as single spaces. */
const flat = (file: string): string => readFileSync(resolve(root, file), 'utf8').replace(/\s*\n\s*/g, ' ');

describe('start retries of a dispatch buffer', () => {
  it('makes a start 4 times in all: at once, then 100, 300 and 900 ms after each failed one', async () => {
    const clock = new VirtualClock();
    const conductor = new Conductor({ clock });
    const events: BatonEvent[] = [];
    conductor.events$.subscribe((event) => events.push(event));
    const startMs = 5;
    const api = new SlowStartInstrument('api', clock, { startMs, runMs: 10, behave: () => 'transient' });
    const score = buildScore({ instruments: { api: {} }, stages: [{ id: 's', fanOut: 1 }] });
    score.instruments.api!.buffer = { size: 1, workers: 1 };
    const jobId = conductor.register(score, { instruments: { api } });
    const result = await runToEnd(conductor, clock, jobId);

    await settle();
    expect(defaultWaits()).toEqual([100, 300, 900]);
    expect(api.calls.map((c) => c.at)).toEqual([0, 105, 410, 1315]);
    expect(events.filter((e) => e.type === 'dispatch.start_error').map((e) => e.at)).toEqual([5, 110, 415, 1320]);
    expect(result.sheets[0]).toMatchObject({
      state: 'failed',
      reason: 'unavailable',
      attempts: 1,
      lastError: 'cannot start "api": too many connections (gave up after 4 tries)',
    });
    await conductor.shutdown();
  });

  it('is told the same way in docs/score.md and README.md', () => {
    const [first, second, third] = defaultWaits();
    const { tries, maxMs, factor } = DEFAULT_START_RETRY;
    expect(flat('docs/score.md')).toContain(
      `is made up to ${tries} times in all, the first included, without using one of the sheet's attempts: at once, ` +
        `then ${first} ms, ${second} ms and ${third} ms after each failed one (each wait three times the one before, capped at ${maxMs / 1000} s)`,
    );
    expect(factor).toBe(3);
    expect(flat('README.md')).toContain(`is made up to ${tries} times in all (${first} ms, ${second} ms, ${third} ms apart)`);
  });
});
