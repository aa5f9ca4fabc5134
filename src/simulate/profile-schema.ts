/**
 * The zod schema of a simulation profile: how each instrument of a score behaves when
 * `simulate` stands in for it. Every object is strict: an unknown key is an error.
 */
import { z } from 'zod';
import { durationMs, durationProblem } from '../score/duration.js';

const DURATION_HINT = 'seconds, or a string like "500ms", "30s", "5m", "1h"';

const duration = z
  .union([z.number(), z.string()], { error: `expected a duration: ${DURATION_HINT}` })
  .check((ctx) => {
    const problem = durationProblem(ctx.value);
    if (problem !== null) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });

const usd = z.number({ error: 'expected an amount in USD (a number)' }).min(0);

const rate = z.number().min(0).max(1);

type Value = typeof duration | typeof usd;

/**
 * A value, or a distribution of values: `{ fixed }`, `{ uniform: [low, high] }`,
 * `{ normal: { mean, stddev } }` or `{ lognormal: { median, p90 } }`. A plain value is
 * `{ fixed: value }`.
 */
function distribution<V extends Value>(value: V, what: string, toNumber: (v: unknown) => number | null) {
  const shapes = z
    .strictObject({
      fixed: value.optional().describe('Always this value.'),
      uniform: z
        .tuple([value, value])
        .optional()
        .describe('Evenly spread between two values: [low, high].'),
      normal: z
        .strictObject({ mean: value, stddev: value })
        .optional()
        .describe('Normal around `mean` with standard deviation `stddev`; draws below 0 count as 0.'),
      lognormal: z
        .strictObject({ median: value, p90: value })
        .optional()
        .describe('Log-normal: half the draws below `median`, nine in ten below `p90`; a long right tail.'),
    })
    .check((ctx) => {
      const given = (['fixed', 'uniform', 'normal', 'lognormal'] as const).filter((k) => ctx.value[k] !== undefined);
      if (given.length !== 1) {
        ctx.issues.push({
          code: 'custom',
          message:
            given.length === 0
              ? 'expected one of fixed, uniform, normal, lognormal'
              : `give one distribution, not ${given.join(' and ')}`,
          input: ctx.value,
        });
      }
      const { uniform, lognormal } = ctx.value as { uniform?: unknown[]; lognormal?: { median: unknown; p90: unknown } };
      if (uniform !== undefined) {
        const [low, high] = uniform.map(toNumber);
        if (low != null && high != null && low > high) {
          ctx.issues.push({ code: 'custom', path: ['uniform'], message: 'expected [low, high]: the first value is above the second', input: uniform });
        }
      }
      if (lognormal !== undefined) {
        const median = toNumber(lognormal.median);
        const p90 = toNumber(lognormal.p90);
        if (median !== null && median <= 0) {
          ctx.issues.push({ code: 'custom', path: ['lognormal', 'median'], message: 'must be greater than 0', input: lognormal.median });
        } else if (median !== null && p90 !== null && p90 < median) {
          ctx.issues.push({ code: 'custom', path: ['lognormal', 'p90'], message: 'must be at least the median', input: lognormal.p90 });
        }
      }
    });
  return z.union([value, shapes], {
    error: `expected ${what}, or a distribution: { fixed | uniform | normal | lognormal }`,
  });
}

const latencyDistribution = distribution(duration, `a duration (${DURATION_HINT})`, durationMs);
const costDistribution = distribution(usd, 'an amount in USD', (v) => (typeof v === 'number' ? v : null));

export type DistributionInput = z.input<typeof latencyDistribution> | z.input<typeof costDistribution>;

const behaviourFields = {
  latency: latencyDistribution
    .optional()
    .describe('How long an attempt runs, from start to its outcome (rate-limited and failed attempts too).'),
  failure_rate: rate
    .optional()
    .describe('Share of attempts that fail (0..1). With rate_limit.rate, at most 1 in all. @default 0'),
  rate_limit: z
    .strictObject({
      rate: z
        .number()
        .min(0)
        .lt(1)
        .describe('Share of attempts that end rate-limited, 0 up to (not including) 1: at 1 no attempt would ever end.'),
      duration: latencyDistribution.describe(
        "The wait each rate-limited attempt reports; the instrument's max_wait still clamps it.",
      ),
    })
    .optional()
    .describe('Rate-limited attempts: they do not consume an attempt, and every sheet of the instrument waits. @default none'),
  cost_usd: costDistribution
    .optional()
    .describe('What each attempt costs, whatever its outcome. @default 0'),
  partial_rate: rate
    .optional()
    .describe(
      'Share of successful attempts that pass only part of the sheet’s validations, which sends the sheet into completion mode. Sheets without validations always pass fully. @default 0',
    ),
};

const behaviourSchema = z
  .strictObject(behaviourFields)
  .describe('How attempts behave. Fields left out come from the next level: model → instrument → default.');

const instrumentProfileSchema = z
  .strictObject({
    ...behaviourFields,
    models: z
      .record(z.string().min(1), behaviourSchema)
      .optional()
      .describe('Per-model overrides, by model name; fields left out come from the instrument.'),
  })
  .describe('How the attempts of one instrument of the score behave.');

export const profileSchema = z
  .strictObject({
    default: behaviourSchema
      .optional()
      .describe('For every instrument, and for what an instrument of `instruments` leaves out.'),
    instruments: z
      .record(z.string().min(1), instrumentProfileSchema)
      .optional()
      .describe("Per instrument of the score, by name. A name the score does not have is an error."),
  })
  .describe('A simulation profile: how the instruments of a score behave when simulated.');

export type ProfileInput = z.input<typeof profileSchema>;
export type BehaviourInput = z.input<typeof behaviourSchema>;
