import { describe, expect, it } from 'vitest';
import { Conductor, VirtualClock, type BatonEvent, type Score } from '../../src/index.js';
import { buildScore, type StageDraft } from '../support/build-score.js';
import { runToEnd, stepUntil } from '../support/virtual-run.js';
import { SlowStartInstrument, type StartBehaviour } from './slow-start.js';

/** One instrument `api` with a buffer of `size` starts (4 unless told) and 1 worker. */
function bufferedScore(concurrency: number, stages: StageDraft[], size = 4): Score {
  const score = buildScore({ concurrency, instruments: { api: {} }, stages });
  score.instruments.api!.buffer = { size, workers: 1 };
  return score;
}

function run(
  score: Score,
  options: { startMs: (sheetId: string) => number; behave?: (sheetId: string, call: number) => StartBehaviour },
): { clock: VirtualClock; conductor: Conductor; api: SlowStartInstrument; events: BatonEvent[]; jobId: string } {
  const clock = new VirtualClock();
  const conductor = new Conductor({ clock });
  const events: BatonEvent[] = [];
  conductor.events$.subscribe((event) => events.push(event));
  const api = new SlowStartInstrument('api', clock, { runMs: 10, ...options });
  const jobId = conductor.register(score, { instruments: { api } });
  return { clock, conductor, api, events, jobId };
}

/** When each sheet was dispatched, ended an attempt, or failed: `[type, sheetId, at]`. */
function timeline(events: BatonEvent[]): Array<[string, string, number]> {
  const shown = new Set(['sheet.dispatched', 'attempt.ended', 'sheet.failed', 'sheet.retry']);
  return events.flatMap((e) => (shown.has(e.type) && 'sheetId' in e ? [[e.type, e.sheetId, e.at] as [string, string, number]] : []));
}

describe('a timeout of a start that is still in the dispatch buffer', () => {
  it('fires at expiry while the start is queued: the sheet fails then, unstarted, and its slots go to the next sheet', async () => {
    // `slow` holds the only worker for 1.5 s; `quick` waits behind it with a 300 ms timeout;
    // `next` waits for a concurrency slot (the score allows 2).
    const score = bufferedScore(2, [
      { id: 'slow', fanOut: 1 },
      { id: 'quick', fanOut: 1, timeoutMs: 300 },
      { id: 'next', fanOut: 1 },
    ]);
    const { clock, conductor, api, events, jobId } = run(score, { startMs: (sheet) => (sheet === 'slow.1' ? 1500 : 10) });
    await stepUntil(clock, () => conductor.status(jobId).counts.failed === 1);
    expect(clock.now()).toBe(300);
    expect(timeline(events)).toEqual([
      ['sheet.dispatched', 'slow.1', 0],
      ['sheet.dispatched', 'quick.1', 0],
      ['attempt.ended', 'quick.1', 300],
      ['sheet.failed', 'quick.1', 300],
      ['sheet.dispatched', 'next.1', 300],
    ]);
    expect(events.find((e) => e.type === 'sheet.failed')).toMatchObject({
      sheetId: 'quick.1',
      reason: 'timeout',
      error: 'timed out in the dispatch buffer; it was never started',
    });

    const result = await runToEnd(conductor, clock, jobId);
    expect(result.sheets.map((s) => [s.id, s.state])).toEqual([
      ['slow.1', 'completed'],
      ['quick.1', 'failed'],
      ['next.1', 'completed'],
    ]);
    // The instrument never heard of `quick.1`; `next.1` started as soon as the worker was free.
    expect(api.calls.map((c) => [c.sheetId, c.at])).toEqual([
      ['slow.1', 0],
      ['next.1', 1500],
    ]);
    await conductor.shutdown();
  });

  it('frees the buffer slot at expiry: a sheet the full buffer held back is dispatched then', async () => {
    const score = bufferedScore(
      10,
      [
        { id: 'slow', fanOut: 1 },
        { id: 'quick', fanOut: 1, timeoutMs: 300 },
        { id: 'next', fanOut: 1 },
      ],
      1,
    );
    const { clock, conductor, events, jobId } = run(score, { startMs: (sheet) => (sheet === 'slow.1' ? 1500 : 10) });
    await stepUntil(clock, () => events.some((e) => e.type === 'sheet.dispatched' && e.sheetId === 'next.1'));
    expect(clock.now()).toBe(300);
    // At 0 the buffer held `quick.1` (once `slow.1` went to the worker) and had no room for `next.1`.
    expect(events.filter((e) => e.type === 'dispatch.at_capacity').map((e) => [e.sheetId, e.at])).toContainEqual(['next.1', 0]);
    expect(events.find((e) => e.type === 'sheet.failed')).toMatchObject({ sheetId: 'quick.1', reason: 'timeout', at: 300 });
    const result = await runToEnd(conductor, clock, jobId);
    expect(result.sheets.map((s) => s.state)).toEqual(['completed', 'failed', 'completed']);
    await conductor.shutdown();
  });

  it('fires at expiry between start tries: the sheet is retried then, its slot goes to the next sheet, and the old attempt is not tried again', async () => {
    // Each start of `flaky.1`'s first attempt fails after 5 ms: tries at 0, 105 and 410 ms,
    // then a wait of 900 ms that its 500 ms timeout cuts short. The one concurrency slot
    // then goes to `next.1`, which was ready first.
    const score = bufferedScore(1, [
      { id: 'flaky', fanOut: 1, timeoutMs: 500, retries: 1, backoff: { initialMs: 0 } },
      { id: 'next', fanOut: 1 },
    ]);
    const { clock, conductor, api, events, jobId } = run(score, {
      startMs: () => 5,
      behave: (sheet, call) => (sheet === 'flaky.1' && call <= 3 ? 'transient' : 'start'),
    });
    await stepUntil(clock, () => events.some((e) => e.type === 'sheet.retry'));
    expect(clock.now()).toBe(500);
    expect(events.find((e) => e.type === 'sheet.retry')).toMatchObject({ sheetId: 'flaky.1', attempt: 1, reason: 'timeout' });

    const result = await runToEnd(conductor, clock, jobId);
    expect(result.outcome).toBe('completed');
    expect(result.sheets.find((s) => s.id === 'flaky.1')).toMatchObject({ state: 'completed', attempts: 2 });
    expect(api.calls.map((c) => [c.sheetId, c.attempt, c.at])).toEqual([
      ['flaky.1', 1, 0],
      ['flaky.1', 1, 105],
      ['flaky.1', 1, 410],
      ['next.1', 1, 500],
      ['flaky.1', 2, 515],
    ]);
    expect(timeline(events).filter(([type]) => type === 'attempt.ended')).toEqual([
      ['attempt.ended', 'flaky.1', 500],
      ['attempt.ended', 'next.1', 515],
      ['attempt.ended', 'flaky.1', 530],
    ]);
    await conductor.shutdown();
  });
});
