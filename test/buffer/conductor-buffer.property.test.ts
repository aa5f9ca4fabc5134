import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Conductor, VirtualClock, type BatonEvent, type Score } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { runToEnd, settle } from '../support/virtual-run.js';
import { SlowStartInstrument } from './slow-start.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);
/** The buffer's default: a start is tried 4 times before its attempt fails. */
const TRIES = 4;

const caseArb = fc.record({
  /** Per sheet: how many of its starts fail transiently before one succeeds. */
  transients: fc.array(fc.nat({ max: TRIES + 1 }), { minLength: 1, maxLength: 15 }),
  size: fc.integer({ min: 1, max: 3 }),
  workers: fc.integer({ min: 1, max: 3 }),
  concurrency: fc.integer({ min: 1, max: 10 }),
  startMs: fc.nat({ max: 50 }),
  runMs: fc.nat({ max: 50 }),
});

/** A conductor in virtual time, its events, and an instrument whose sheet `s.N` fails its first `transients[N-1]` starts. */
function bufferedRun(transients: number[], startMs: number, runMs: number) {
  const clock = new VirtualClock();
  const conductor = new Conductor({ clock });
  const events: BatonEvent[] = [];
  conductor.events$.subscribe((event) => events.push(event));
  const api = new SlowStartInstrument('api', clock, {
    startMs,
    runMs,
    behave: (sheetId, call) => (call <= transients[Number(sheetId.slice(2)) - 1]! ? 'transient' : 'start'),
  });
  return { clock, conductor, events, api };
}

async function runToShutdown(conductor: Conductor, clock: VirtualClock, score: Score, api: SlowStartInstrument) {
  const jobId = conductor.register(score, { instruments: { api } });
  const result = await runToEnd(conductor, clock, jobId);
  await settle();
  await conductor.shutdown();
  return result;
}

describe('a buffered job in virtual time', () => {
  test.prop([caseArb], { numRuns: RUNS })(
    'every sheet is dispatched once and ends; starts stay within the workers and queued starts within the size',
    async ({ transients, size, workers, concurrency, startMs, runMs }) => {
      const { clock, conductor, events, api } = bufferedRun(transients, startMs, runMs);
      const score = buildScore({ concurrency, instruments: { api: {} }, stages: [{ id: 's', fanOut: transients.length, retries: 0 }] });
      score.instruments.api!.buffer = { size, workers };

      const result = await runToShutdown(conductor, clock, score, api);

      for (const sheet of result.sheets) {
        const gaveUp = transients[Number(sheet.id.slice(2)) - 1]! >= TRIES;
        expect(sheet, sheet.id).toMatchObject(gaveUp ? { state: 'failed', reason: 'unavailable', attempts: 1 } : { state: 'completed', attempts: 1 });
      }
      const begun = new Set(api.begun);
      expect(begun.size).toBe(api.begun.length);
      expect(api.maxStarting).toBeLessThanOrEqual(workers);

      // Sheets dispatched and not yet running or ended: at most what the buffer holds.
      let waiting = 0;
      const pending = new Set<string>();
      for (const event of events) {
        if (event.type === 'buffer.depth') expect(event.queued).toBeLessThanOrEqual(size);
        if (event.type === 'sheet.dispatched') pending.add(event.sheetId);
        if (event.type === 'sheet.running' || event.type === 'sheet.failed') pending.delete(event.sheetId);
        waiting = Math.max(waiting, pending.size);
      }
      expect(waiting).toBeLessThanOrEqual(size + workers);
      expect(events.filter((e) => e.type === 'sheet.dispatched')).toHaveLength(transients.length);
    },
  );
});

describe('a buffered job with a timeout', () => {
  test.prop([caseArb, fc.integer({ min: 1, max: 400 })], { numRuns: RUNS })(
    'no attempt outlives its timeout, wherever it is (queued, between start tries, starting, running)',
    async ({ transients, size, workers, concurrency, startMs, runMs }, timeoutMs) => {
      const { clock, conductor, events, api } = bufferedRun(transients, startMs, runMs);
      const score = buildScore({
        concurrency,
        instruments: { api: { timeoutMs } },
        stages: [{ id: 's', fanOut: transients.length, retries: 1, backoff: { initialMs: 0 } }],
      });
      score.instruments.api!.buffer = { size, workers };

      const result = await runToShutdown(conductor, clock, score, api);

      expect(result.sheets.every((s) => s.state === 'completed' || s.state === 'failed')).toBe(true);
      for (const event of events) {
        if (event.type !== 'attempt.ended') continue;
        expect(event.durationMs, `${event.sheetId} attempt ${event.attempt}`).toBeLessThanOrEqual(timeoutMs);
        if (event.reason === 'timeout') expect(event.durationMs, `${event.sheetId} attempt ${event.attempt}`).toBe(timeoutMs);
      }
    },
  );
});
