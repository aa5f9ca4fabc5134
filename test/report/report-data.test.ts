import { describe, expect, it } from 'vitest';
import { renderReport, reportData, type ReportContents, type SheetEventRow, type SheetState } from '../../src/index.js';
import { attemptRow, jobRow, sheetRow } from '../store/helpers.js';
import { buildScore } from '../support/build-score.js';

const T0 = 1_700_000_000_000;
const ev = (sheetId: string, at: number, state: SheetState, over: Partial<SheetEventRow> = {}): SheetEventRow => ({
  sheetId,
  at: T0 + at,
  state,
  until: null,
  detail: null,
  ...over,
});

const score = buildScore({
  stages: [{ id: 'a' }, { id: 'b' }, { id: 'c', deps: ['a', 'b'] }],
});

/** a: rate-limited, waited, succeeded. b: failed, backed off, failed again into a fermata (held). c: pending. */
function heldJob(): ReportContents {
  return {
    job: jobRow({ createdAt: T0, updatedAt: T0 + 900, budgetUsd: 2 }),
    sheets: [
      sheetRow('a', { state: 'completed', dispatches: 2, costUsd: 0.25, updatedAt: T0 + 500 }),
      sheetRow('b', { state: 'fermata', dispatches: 2, attempts: 2, lastError: 'exit 3', reason: 'failed', updatedAt: T0 + 900 }),
      sheetRow('c'),
    ],
    attempts: [
      attemptRow('a', 1, { instrument: 'sh', startedAt: T0, endedAt: T0 + 100, status: 'rate_limited', error: '429' }),
      attemptRow('a', 2, { instrument: 'sh', startedAt: T0 + 400, endedAt: T0 + 500, status: 'success', costUsd: 0.25 }),
      attemptRow('b', 1, { instrument: 'sh', startedAt: T0, endedAt: T0 + 50, status: 'failure', exitCode: 3 }),
      attemptRow('b', 2, { instrument: 'sh', startedAt: T0 + 300, endedAt: T0 + 400, status: 'failure', exitCode: 3 }),
    ],
    events: [
      ev('a', 0, 'ready'),
      ev('b', 0, 'ready'),
      ev('a', 0, 'running'),
      ev('b', 0, 'running'),
      ev('b', 50, 'retry', { until: T0 + 250, detail: 'failed' }),
      ev('a', 100, 'waiting', { until: T0 + 350 }),
      ev('b', 250, 'ready'),
      ev('b', 300, 'running'),
      ev('a', 350, 'ready'),
      ev('b', 400, 'fermata', { detail: 'failed' }),
      ev('a', 400, 'running'),
      ev('a', 500, 'completed'),
    ],
  };
}

describe('reportData', () => {
  it('counts sheets by state, attempts by outcome, cost and instruments over the whole checkpoint', () => {
    const model = reportData(heldJob(), score, { now: T0 + 10_000 });
    expect(model.summary.sheets).toBe(3);
    expect(model.summary.states).toMatchObject({ completed: 1, fermata: 1, pending: 1, failed: 0 });
    // The rate-limited run is not an attempt: `total` counts the other three.
    expect(model.summary.attempts).toEqual({ total: 3, success: 1, failure: 2, rate_limited: 1, interrupted: 0, cancelled: 0, running: 0 });
    expect(model.summary.costUsd).toBe(0.25);
    expect(model.summary.instruments).toEqual([
      { instrument: 'sh', model: null, attempts: 3, succeeded: 1, failed: 2, rateLimited: 1, interrupted: 0, cancelled: 0, running: 0, busyMs: 350, costUsd: 0.25 },
    ]);
    expect(model.problems).toEqual([{ id: 'b', state: 'fermata', reason: 'failed', error: 'exit 3' }]);
  });

  it('spans from the job creation to its last recorded moment when no conductor runs it', () => {
    const model = reportData(heldJob(), score, { now: T0 + 10_000 });
    expect(model.span).toEqual({ start: T0, end: T0 + 900 });
    expect(model.summary.durationMs).toBe(900);
  });

  it('draws the rate-limit wait, the retry backoff and the open fermata between attempts', () => {
    const model = reportData(heldJob(), score, { now: T0 + 10_000 });
    const [a, b] = model.timeline.rows;
    expect(a!.segments.map((s) => [s.kind, s.start - T0, s.end - T0, s.open])).toEqual([
      ['waiting', 100, 350, false],
      ['queued', 350, 400, false],
    ]);
    expect(a!.segments[0]!.until).toBe(T0 + 350);
    expect(b!.segments.map((s) => [s.kind, s.start - T0, s.end - T0, s.open])).toEqual([
      ['retry', 50, 250, false],
      ['queued', 250, 300, false],
      ['fermata', 400, 900, true],
    ]);
    expect(model.summary.waitingMs).toBe(250);
    expect(model.summary.fermataMs).toBe(500);
    expect(a!.attempts.map((x) => [x.number, x.status, x.open])).toEqual([
      [1, 'rate_limited', false],
      [2, 'success', false],
    ]);
  });

  it('runs open attempts and waits up to now while a conductor still holds the job', () => {
    const held = heldJob();
    const contents = { ...held, attempts: [...held.attempts, attemptRow('c', 1, { startedAt: T0 + 800, endedAt: null, status: 'running' })] };
    const model = reportData(contents, score, { now: T0 + 5000, live: true });
    expect(model.span.end).toBe(T0 + 5000);
    const c = model.timeline.rows[2]!;
    expect(c.attempts[0]).toMatchObject({ open: true, start: T0 + 800, end: T0 + 5000, status: 'running' });
    expect(model.timeline.rows[1]!.segments.at(-1)).toMatchObject({ kind: 'fermata', end: T0 + 5000, open: true });
    expect(model.job.live).toBe(true);
  });

  it('counts interrupted runs apart from attempts and draws them as interrupted, ending where they were recorded to end', () => {
    const held = heldJob();
    const cut = attemptRow('c', 1, { instrument: 'sh', startedAt: T0 + 600, endedAt: T0 + 700, status: 'interrupted', error: 'interrupted: baton stopped' });
    const again = attemptRow('c', 2, { instrument: 'sh', startedAt: T0 + 60_000, endedAt: T0 + 60_100, status: 'success' });
    const model = reportData({ ...held, attempts: [...held.attempts, cut, again] }, score, { now: T0 + 70_000 });
    expect(model.summary.attempts).toEqual({ total: 4, success: 2, failure: 2, rate_limited: 1, interrupted: 1, cancelled: 0, running: 0 });
    expect(model.summary.instruments[0]).toMatchObject({ attempts: 4, failed: 2, interrupted: 1, running: 0 });
    const c = model.timeline.rows[2]!;
    // The minute between the stop and the resume is no part of the interrupted run.
    expect(c.attempts.map((x) => [x.number, x.status, x.start - T0, x.end - T0, x.open])).toEqual([
      [1, 'interrupted', 600, 700, false],
      [2, 'success', 60_000, 60_100, false],
    ]);
    expect(renderReport(model)).toContain('class="a-interrupted"');
  });

  it('shows a run still marked running in a checkpoint no conductor holds as interrupted at its last write', () => {
    const held = heldJob();
    const left = attemptRow('c', 1, { instrument: 'sh', startedAt: T0 + 800, endedAt: null, status: 'running' });
    const model = reportData({ ...held, attempts: [...held.attempts, left] }, score, { now: T0 + 5000 });
    const c = model.timeline.rows[2]!;
    // The job row's last write (T0 + 900) is the last moment the dead conductor is known to have run.
    expect(c.attempts[0]).toMatchObject({ status: 'interrupted', start: T0 + 800, end: T0 + 900, open: false });
    expect(c.attempts[0]!.error).toMatch(/interrupted: baton is not running/);
    expect(model.summary.attempts).toMatchObject({ interrupted: 1, running: 0, total: 3 });
  });

  it('caps the timeline rows but not the summary', () => {
    const model = reportData(heldJob(), score, { now: T0, maxTimelineRows: 2 });
    expect(model.timeline.rows.map((r) => r.id)).toEqual(['a', 'b']);
    expect(model.timeline.total).toBe(3);
    expect(model.summary.sheets).toBe(3);
  });

  it('shows attempts only for a checkpoint that has no events', () => {
    const model = reportData({ ...heldJob(), events: [] }, score, { now: T0 });
    expect(model.timeline.rows.every((r) => r.segments.length === 0)).toBe(true);
    expect(model.timeline.rows[0]!.attempts).toHaveLength(2);
  });
});
