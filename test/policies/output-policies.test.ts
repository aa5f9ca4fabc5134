/**
 * Policies read from a real process's output (real clock, real subprocesses): rate-limit
 * detection (stderr by default, stdout only when asked, never on exit 0), `retry_after`
 * parsing and clamping to `max_wait`, `default_wait`, `cost_pattern` (last match), timeouts,
 * and a missing program moving straight to the fallback. Waits are checked through the
 * coordinator's record of each limit and the bus, never by measuring time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineScore, type BatonEvent, type Conductor, type ScoreInput } from '../../src/index.js';
import { byId, flushEvents, QUICK_BACKOFF, startConductor } from '../integration/helpers.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

let dir: string;
let conductor: Conductor;
let events: BatonEvent[];

beforeEach(() => {
  dir = makeTempDir('baton-output-');
  ({ conductor, events } = startConductor());
});

afterEach(async () => {
  await conductor.shutdown();
  removeDir(dir);
});

const runs = (sheetId: string): number => readFileSync(join(dir, `${sheetId}.runs`), 'utf8').split('\n').filter(Boolean).length;

/** First run: prints `message` to `stream` and exits `code`; later runs exit 0. */
function firstRun(message: string, stream: 'stdout' | 'stderr', code = 1): string {
  const redirect = stream === 'stderr' ? ' >&2' : '';
  return [
    'echo run >> "$BATON_WORKSPACE/$BATON_SHEET_ID.runs"',
    `if [ ! -e "$BATON_WORKSPACE/$BATON_SHEET_ID.seen" ]; then touch "$BATON_WORKSPACE/$BATON_SHEET_ID.seen"; echo "${message}"${redirect}; exit ${code}; fi`,
    'echo fine',
  ].join('\n');
}

type RateLimitInput = NonNullable<Extract<ScoreInput['instruments'][string], { kind: 'command' }>['rate_limit']>;

function scoreWith(rateLimit: RateLimitInput, sheets: Array<{ id: string; args: string[] }>, retries = 0) {
  return defineScore({
    version: 1,
    name: 'output-policies',
    workspace: dir,
    instruments: { sh: { kind: 'command', command: ['bash', '-c'], rate_limit: rateLimit } },
    defaults: { backoff: QUICK_BACKOFF, retries },
    sheets,
  });
}

/** The limits the coordinator set (each `until - reportedAt` is the wait it decided on). */
function activeReports() {
  return conductor.rateLimits.history().flatMap((change) => (change.type === 'active' ? [change.limit] : []));
}

const waited = (sheetId: string) => events.filter((e) => e.type === 'sheet.waiting' && e.sheetId === sheetId);

describe('rate-limit detection in output', () => {
  it('is detected on stderr by default: the sheet waits, then succeeds without consuming an attempt', async () => {
    const score = scoreWith({ patterns: ['rate.?limit'], default_wait: '200ms', min_wait: '10ms' }, [{ id: 'err', args: [firstRun('Rate Limit exceeded', 'stderr')] }]);
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('completed');
    expect(byId(result.sheets).err).toMatchObject({ state: 'completed', attempts: 1, rateLimited: 1 });
    expect(runs('err')).toBe(2);
    await flushEvents();
    expect(waited('err')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'sheet.retry')).toEqual([]);
    expect(events.filter((e) => e.type.startsWith('rate_limit.')).map((e) => e.type)).toEqual(['rate_limit.active', 'rate_limit.cleared']);
    expect(activeReports().map((l) => [l.instrument, l.until - l.reportedAt, l.source.sheetId])).toEqual([['sh', 200, 'err']]);
  });

  it('is not looked for on stdout by default: a plain failure (retries 0 → failed)', async () => {
    const score = scoreWith({ patterns: ['rate.?limit'], default_wait: '200ms' }, [{ id: 'out', args: [firstRun('rate limit exceeded', 'stdout')] }]);
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(byId(result.sheets).out).toMatchObject({ state: 'failed', reason: 'failed', attempts: 1 });
    expect(runs('out')).toBe(1);
    await flushEvents();
    expect(waited('out')).toEqual([]);
    expect(activeReports()).toEqual([]);
  });

  it('is looked for on stdout with streams: [stdout, stderr]', async () => {
    const score = scoreWith({ patterns: ['rate.?limit'], streams: ['stdout', 'stderr'], default_wait: '200ms' }, [
      { id: 'out', args: [firstRun('rate limit exceeded', 'stdout')] },
    ]);
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(byId(result.sheets).out).toMatchObject({ state: 'completed', attempts: 1, rateLimited: 1 });
    await flushEvents();
    expect(waited('out')).toHaveLength(1);
  });

  it('never applies to an attempt that exits 0, whatever it printed', async () => {
    const score = scoreWith({ patterns: ['rate.?limit', '429'], streams: ['stdout', 'stderr'], default_wait: '1h' }, [
      { id: 'ok', args: ['echo "429 rate limit (just kidding)" >&2; echo "rate limit" ; echo run >> "$BATON_WORKSPACE/ok.runs"'] },
    ]);
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(byId(result.sheets).ok).toMatchObject({ state: 'completed', attempts: 1 });
    expect(conductor.rateLimits.isRateLimited('sh').limited).toBe(false);
    await flushEvents();
    expect(waited('ok')).toEqual([]);
    expect(activeReports()).toEqual([]);
  });

  it('retry_after is parsed and clamped to max_wait: "retry after 1" with max_wait 500ms waits 500 ms, then succeeds on the 2nd run', async () => {
    const score = scoreWith(
      { patterns: ['rate.?limit'], retry_after: 'retry after (\\d+)', default_wait: '1h', max_wait: '500ms', min_wait: '10ms' },
      [{ id: 'clamped', args: [firstRun('rate limit hit; retry after 1', 'stderr')] }],
    );
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(byId(result.sheets).clamped).toMatchObject({ state: 'completed', attempts: 1, rateLimited: 1 });
    expect(runs('clamped')).toBe(2);
    expect(activeReports().map((l) => l.until - l.reportedAt)).toEqual([500]);
    await flushEvents();
    const states = events
      .filter((e) => 'sheetId' in e && e.sheetId === 'clamped')
      .map((e) => e.type)
      .filter((t) => t !== 'sheet.running');
    expect(states).toEqual(['sheet.dispatched', 'attempt.ended', 'sheet.waiting', 'sheet.dispatched', 'attempt.ended', 'sheet.completed']);
  });

  it('retry_after below max_wait is used as is (decimals allowed)', async () => {
    const score = scoreWith(
      { patterns: ['rate.?limit'], retry_after: 'retry after (\\d+(?:\\.\\d+)?)', default_wait: '1h', max_wait: '1h', min_wait: '10ms' },
      [{ id: 'parsed', args: [firstRun('rate limit; retry after 0.3', 'stderr')] }],
    );
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);
    expect(byId(result.sheets).parsed).toMatchObject({ state: 'completed', attempts: 1, rateLimited: 1 });
    expect(activeReports().map((l) => l.until - l.reportedAt)).toEqual([300]);
  });

  it('without a retry_after match the wait is default_wait', async () => {
    const score = scoreWith(
      { patterns: ['rate.?limit'], retry_after: 'retry after (\\d+)', default_wait: '250ms', max_wait: '1h', min_wait: '10ms' },
      [{ id: 'dflt', args: [firstRun('rate limit, no hint', 'stderr')] }],
    );
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);
    expect(byId(result.sheets).dflt).toMatchObject({ state: 'completed', attempts: 1, rateLimited: 1 });
    expect(activeReports().map((l) => l.until - l.reportedAt)).toEqual([250]);
  });
});

describe('cost, timeout and unavailable programs', () => {
  it('cost_pattern: the last match of an attempt is its cost; the sheet and the job add attempts up', async () => {
    const score = defineScore({
      version: 1,
      name: 'costs',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'], cost_pattern: 'cost_usd=([0-9.]+)' } },
      defaults: { backoff: QUICK_BACKOFF, retries: 1 },
      sheets: [
        // A running total: the last line counts.
        { id: 'total', args: ['echo cost_usd=0.01; echo working; echo cost_usd=0.03'] },
        // Two attempts: 0.1 (failed) + 0.2.
        {
          id: 'twice',
          args: ['echo cost_usd=0.1; if [ "$BATON_ATTEMPT" = 1 ]; then exit 1; fi; echo cost_usd=0.05; echo cost_usd=0.2'],
        },
        // On stderr only: not a cost.
        { id: 'stderr', args: ['echo cost_usd=9 >&2'] },
      ],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('completed');
    const sheets = byId(result.sheets);
    expect(sheets.total!.costUsd).toBeCloseTo(0.03, 10);
    expect(sheets.twice).toMatchObject({ attempts: 2 });
    expect(sheets.twice!.costUsd).toBeCloseTo(0.3, 10);
    expect(sheets.stderr!.costUsd).toBe(0);
    expect(result.costUsd).toBeCloseTo(0.33, 10);
    await flushEvents();
    expect(events).toContainEqual(expect.objectContaining({ type: 'sheet.completed', sheetId: 'total', costUsd: 0.03 }));
  });

  it('a timeout kills the attempt: reason timeout', async () => {
    const score = defineScore({
      version: 1,
      name: 'timeout',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      defaults: { backoff: QUICK_BACKOFF, retries: 0 },
      sheets: [{ id: 'slow', timeout: '300ms', args: ['echo started > "$BATON_WORKSPACE/slow.started"; sleep 30; echo done > "$BATON_WORKSPACE/slow.done"'] }],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(byId(result.sheets).slow).toMatchObject({ state: 'failed', reason: 'timeout', attempts: 1 });
    expect(readFileSync(join(dir, 'slow.started'), 'utf8')).toBe('started\n');
    await flushEvents();
    expect(events).toContainEqual(expect.objectContaining({ type: 'sheet.failed', sheetId: 'slow', reason: 'timeout' }));
  });

  it('a missing program with a fallback goes straight to the fallback (reason unavailable), attempts not spent on retries', async () => {
    const score = defineScore({
      version: 1,
      name: 'missing',
      workspace: dir,
      instruments: {
        missing: { kind: 'command', command: ['/nonexistent/baton-no-such-program'], fallback: ['sh'] },
        sh: { kind: 'command', command: ['bash', '-c'] },
      },
      defaults: { backoff: QUICK_BACKOFF, retries: 3 },
      sheets: [{ id: 'a', instrument: 'missing', args: ['echo from-fallback > "$BATON_WORKSPACE/a.txt"'] }],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('completed');
    expect(byId(result.sheets).a).toMatchObject({ state: 'completed', instrument: 'sh', attempts: 2 });
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('from-fallback\n');
    await flushEvents();
    expect(events.filter((e) => e.type === 'sheet.retry')).toEqual([]);
    const fallback = events.filter((e) => e.type === 'sheet.fallback');
    expect(fallback).toEqual([expect.objectContaining({ sheetId: 'a', from: 'missing', to: 'sh', reason: 'unavailable' })]);
    expect((fallback[0] as Extract<BatonEvent, { type: 'sheet.fallback' }>).error).toMatch(/baton-no-such-program.*not found/);
    expect(
      events.filter((e) => e.type === 'sheet.dispatched').map((e) => (e.type === 'sheet.dispatched' ? [e.instrument, e.attempt] : [])),
    ).toEqual([
      ['missing', 1],
      ['sh', 1],
    ]);
  });
});
