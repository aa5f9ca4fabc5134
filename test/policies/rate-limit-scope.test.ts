/**
 * `rate_limit.scope` in virtual time, through the public API: a limit reported by an attempt
 * of one model holds back only that model's sheets under `scope: model`, and every sheet of
 * the instrument under `scope: instrument` (the default), on fixed and on random jobs.
 * Assertions read start times of a SimInstrument and the conductor's own view of its limits.
 */
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { Conductor, defineScore, VirtualClock, type AttemptOutcome, type BatonEvent } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { prng } from '../support/random.js';
import { ok, runToEnd, SimInstrument, stepUntil } from '../support/virtual-run.js';

const limited: AttemptOutcome = { status: 'failure', error: '429 too many requests', rateLimitedS: 60 };

/**
 * Instrument `api` with models `fast` and `slow`, one attempt of each at a time. The first
 * attempt of `f.1` (model fast) is rate-limited for 60 s at t=10; every other attempt
 * succeeds after 20 ms, so the slow sheets start at 0, 20 and 40 unless something holds them.
 */
function setup(scope: 'instrument' | 'model' | undefined) {
  const clock = new VirtualClock();
  const conductor = new Conductor({ clock, random: () => 0.5 });
  const events: BatonEvent[] = [];
  conductor.events$.subscribe((event) => events.push(event));
  let first = true;
  const api = new SimInstrument('api', clock, (request) => {
    if (request.sheetId === 'f.1' && first) {
      first = false;
      return { durationMs: 10, outcome: limited };
    }
    return { durationMs: 20, outcome: ok };
  });
  const score = buildScore({
    instruments: {
      api: {
        models: { fast: { concurrency: 1 }, slow: { concurrency: 1 } },
        rateLimit: scope === undefined ? {} : { scope },
      },
    },
    stages: [
      { id: 'f', fanOut: 3, model: 'fast' },
      { id: 's', fanOut: 3, model: 'slow' },
    ],
  });
  const jobId = conductor.register(score, { instruments: { api } });
  const startsOf = (model: string) => api.starts.filter((s) => s.model === model).map((s) => [s.sheetId, s.at]);
  return { clock, conductor, events, jobId, startsOf };
}

describe('rate_limit.scope', () => {
  it('model: a limit on one model holds only its sheets; the other model keeps dispatching', async () => {
    const { clock, conductor, events, jobId, startsOf } = setup('model');
    await stepUntil(clock, () => clock.now() >= 40);

    expect(conductor.rateLimits.activeLimits()).toMatchObject([{ instrument: 'api', model: 'fast', until: 60_010 }]);
    expect(conductor.rateLimits.isRateLimited('api', 'fast')).toEqual({ limited: true, remainingMs: 60_010 - clock.now() });
    expect(conductor.rateLimits.isRateLimited('api', 'slow').limited).toBe(false);
    expect(conductor.status(jobId).sheets.find((s) => s.id === 'f.1')!.state).toBe('waiting');

    const result = await runToEnd(conductor, clock, jobId);
    expect(result.outcome).toBe('completed');
    expect(startsOf('slow')).toEqual([['s.1', 0], ['s.2', 20], ['s.3', 40]]);
    // The limited sheet waits out the limit, and so do the other sheets of its model.
    expect(startsOf('fast').map(([, at]) => at)).toEqual([0, 60_010, 60_030, 60_050]);
    expect(startsOf('fast').map(([id]) => id).sort()).toEqual(['f.1', 'f.1', 'f.2', 'f.3']);
    expect(events.filter((e) => e.type === 'rate_limit.active')).toEqual([
      { type: 'rate_limit.active', instrument: 'api', model: 'fast', untilMs: 60_010, at: 10 },
    ]);
  });

  it.each([['instrument' as const], [undefined]])('%s (and the default): a limit on one model holds every model of the instrument', async (scope) => {
    const { clock, conductor, jobId, startsOf } = setup(scope);
    await stepUntil(clock, () => conductor.rateLimits.activeLimits().length > 0);
    expect(conductor.rateLimits.activeLimits()).toEqual([expect.objectContaining({ instrument: 'api', until: 60_010 })]);
    expect(conductor.rateLimits.activeLimits()[0]!.model).toBeUndefined();
    expect(conductor.rateLimits.isRateLimited('api', 'slow').limited).toBe(true);

    const result = await runToEnd(conductor, clock, jobId);
    expect(result.outcome).toBe('completed');
    // s.1 was already running when the limit came; s.2 waited for its end.
    expect(startsOf('slow').map(([, at]) => at)).toEqual([0, 60_010, 60_030]);
  });

  it('a sheet without a model reports for the whole instrument, even under scope: model', async () => {
    const clock = new VirtualClock();
    const conductor = new Conductor({ clock, random: () => 0.5 });
    let first = true;
    const api = new SimInstrument('api', clock, () => {
      const outcome = first ? limited : ok;
      first = false;
      return { durationMs: 10, outcome };
    });
    const score = buildScore({
      instruments: { api: { rateLimit: { scope: 'model' } } },
      stages: [{ id: 'plain' }, { id: 'other', model: 'fast', deps: ['plain'] }],
    });
    const jobId = conductor.register(score, { instruments: { api } });
    await stepUntil(clock, () => conductor.rateLimits.activeLimits().length > 0);
    expect(conductor.rateLimits.activeLimits()[0]!.model).toBeUndefined();
    expect(conductor.rateLimits.isRateLimited('api', 'fast').limited).toBe(true);
    await runToEnd(conductor, clock, jobId);
  });
});

const MODELS = ['m1', 'm2', undefined] as const;

describe('rate_limit.scope, on random jobs', () => {
  it('no sheet starts while its model or its instrument is limited; a limit has the model only under scope model', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('instrument' as const, 'model' as const),
        fc.array(fc.constantFrom(...MODELS), { minLength: 1, maxLength: 8 }),
        fc.double({ min: 0, max: 0.6, noNaN: true }),
        fc.integer(),
        async (scope, models, rateLimitRate, seed) => {
          const clock = new VirtualClock();
          const random = prng(seed);
          const conductor = new Conductor({ clock, random: () => 0.5 });
          const violations: string[] = [];
          const limitedRuns = new Map<string, number>();
          const api = new SimInstrument(
            'api',
            clock,
            (request) => {
              // At most 3 limits a sheet, so that every job ends.
              const limits = limitedRuns.get(request.sheetId) ?? 0;
              if (limits < 3 && random() < rateLimitRate) {
                limitedRuns.set(request.sheetId, limits + 1);
                return { durationMs: 5 + Math.floor(random() * 20), outcome: { status: 'failure', error: '429', rateLimitedS: random() } };
              }
              return { durationMs: 5 + Math.floor(random() * 20), outcome: ok };
            },
            {
              onStart(request) {
                if (conductor.rateLimits.isRateLimited('api', request.model).limited) {
                  violations.push(`${request.sheetId} (${request.model ?? 'no model'}) started at ${clock.now()} while limited`);
                }
              },
            },
          );
          const score = buildScore({
            instruments: { api: { models: { m1: { concurrency: 2 }, m2: { concurrency: 2 } }, rateLimit: { scope } } },
            stages: models.map((model, i) => ({ id: `s${i}`, ...(model !== undefined && { model }) })),
          });
          const jobId = conductor.register(score, { instruments: { api } });
          expect((await runToEnd(conductor, clock, jobId)).outcome).toBe('completed');
          expect(violations).toEqual([]);
          for (const change of conductor.rateLimits.history()) {
            if (change.type !== 'active') continue;
            const model = models[Number(change.limit.source.sheetId.slice(1))];
            expect(change.limit.model).toBe(scope === 'model' ? model : undefined);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('rate_limit.scope in the score', () => {
  const score = (rateLimit: Record<string, unknown>) =>
    defineScore({
      version: 1,
      name: 's',
      instruments: { api: { kind: 'command', command: ['bash', '-c'], rate_limit: { patterns: ['429'], ...rateLimit } as never } },
      sheets: [{ id: 'a', instrument: 'api', args: ['true'] }],
    });

  it('compiles to instrument by default, and to model when asked', () => {
    expect(score({}).instruments.api!.rateLimit!.scope).toBe('instrument');
    expect(score({ scope: 'model' }).instruments.api!.rateLimit!.scope).toBe('model');
  });

  it('refuses any other scope, naming its path', () => {
    expect(() => score({ scope: 'sheet' })).toThrow(/instruments\.api\.rate_limit\.scope/);
  });
});
