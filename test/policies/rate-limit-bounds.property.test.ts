/**
 * No rate-limit report makes baton spin: whatever a function instrument returns for
 * `rate_limited_s` (0, negative, fractions, huge, Infinity, NaN), every wait is at least
 * `min_wait` and at most `max_wait`, a sheet's `max_limited_runs`-th rate-limited run fails it
 * with reason `rate_limited`, and so in virtual time starts per second stay bounded and every
 * sheet ends.
 */
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { Conductor, RATE_LIMIT_DEFAULTS, TERMINAL_STATES, VirtualClock, type AttemptOutcome } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { advanceUntil, SimInstrument } from '../support/virtual-run.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 40);

const reportArb: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1e-9, 0.001, 1e7, 1e300, Infinity, -Infinity, Number.NaN, Number.MAX_VALUE),
  fc.double({ min: -10, max: 10 }),
  fc.double({ min: 0, max: 1e9, noNaN: true }),
);

interface Case {
  sheets: number;
  retries: number;
  /** undefined: no rate_limit block at all (the defaults hold). */
  bounds: { minWaitMs: number; maxLimitedRuns: number } | undefined;
  reports: number[];
  durationMs: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  sheets: fc.integer({ min: 1, max: 3 }),
  retries: fc.integer({ min: 0, max: 2 }),
  bounds: fc.option(fc.record({ minWaitMs: fc.integer({ min: 1, max: 5_000 }), maxLimitedRuns: fc.integer({ min: 1, max: 30 }) }), {
    nil: undefined,
  }),
  reports: fc.array(reportArb, { minLength: 1, maxLength: 8 }),
  durationMs: fc.constantFrom(0, 1, 50),
});

async function run(c: Case) {
  const clock = new VirtualClock();
  const conductor = new Conductor({ clock, random: () => 0.5 });
  const starts = new Map<string, number[]>();
  let n = 0;
  const x = new SimInstrument('x', clock, (r) => {
    const list = starts.get(r.sheetId) ?? [];
    list.push(clock.now());
    starts.set(r.sheetId, list);
    // Every run is rate-limited with the next report; a NaN report is an ordinary failure.
    const outcome: AttemptOutcome = { status: 'failure', error: '429', rateLimitedS: c.reports[n++ % c.reports.length]! };
    return { durationMs: c.durationMs, outcome };
  });
  const score = buildScore({
    instruments: { x: c.bounds === undefined ? {} : { rateLimit: c.bounds } },
    stages: [{ id: 's', fanOut: c.sheets, retries: c.retries, backoff: { initialMs: 0, factor: 1, maxMs: 0 } }],
  });
  const id = conductor.register(score, { instruments: { x } });
  let ended = false;
  void conductor.waitForCompletion(id).then(() => (ended = true));
  const done = await advanceUntil(clock, () => ended, 50_000);
  const status = conductor.status(id);
  await conductor.shutdown();
  return { done, status, starts };
}

describe('rate-limit waits are bounded, whatever the instrument reports', () => {
  it('every sheet ends; rate-limited runs are at least min_wait apart and at most max_limited_runs', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const { done, status, starts } = await run(c);
        expect(done).toBe(true);
        const minWaitMs = c.bounds?.minWaitMs ?? RATE_LIMIT_DEFAULTS.minWaitMs;
        const maxLimitedRuns = c.bounds?.maxLimitedRuns ?? RATE_LIMIT_DEFAULTS.maxLimitedRuns;
        for (const sheet of status.sheets) {
          expect(TERMINAL_STATES.has(sheet.state)).toBe(true);
          expect(sheet.rateLimited).toBeLessThanOrEqual(maxLimitedRuns);
          expect(sheet.attempts).toBeLessThanOrEqual(c.retries + 1);
          expect(sheet.attempts + sheet.rateLimited).toBe(starts.get(sheet.id)?.length ?? 0);
          if (sheet.reason === 'rate_limited') expect(sheet.rateLimited).toBe(maxLimitedRuns);
          // Starts per sheet in any window of min_wait: one after a rate limit, plus its attempts
          // (failures retry without a wait here).
          const times = starts.get(sheet.id) ?? [];
          const perWindow = c.retries + 2;
          for (let i = perWindow; i < times.length; i++) {
            expect(times[i]! - times[i - perWindow]!).toBeGreaterThanOrEqual(minWaitMs);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a sheet whose every run is rate-limited with 0 s fails with reason rate_limited after max_limited_runs, 1 s apart', async () => {
    const { done, status, starts } = await run({ sheets: 1, retries: 0, bounds: undefined, reports: [0], durationMs: 0 });
    expect(done).toBe(true);
    const [sheet] = status.sheets;
    expect(sheet).toMatchObject({ state: 'failed', reason: 'rate_limited', attempts: 0, rateLimited: 100 });
    const times = starts.get(sheet!.id)!;
    expect(times).toHaveLength(100);
    expect(times.at(-1)).toBe(99 * 1_000);
  });

  it('a huge rate_limited_s waits max_wait (1 h by default), not 115 days', async () => {
    const { status, starts } = await run({ sheets: 1, retries: 0, bounds: undefined, reports: [1e7], durationMs: 0 });
    expect(status.sheets[0]).toMatchObject({ reason: 'rate_limited', rateLimited: 100 });
    expect(starts.get(status.sheets[0]!.id)!.slice(0, 3)).toEqual([0, 3_600_000, 7_200_000]);
  });
});
