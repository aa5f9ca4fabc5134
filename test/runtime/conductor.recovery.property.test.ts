import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Conductor, VirtualClock, type AttemptOutcome, type AttemptRequest } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { prng } from '../support/random.js';
import { fail, ok, runToEnd, SimInstrument } from '../support/virtual-run.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);

const rateLimited = (s: number): AttemptOutcome => ({ status: 'failure', error: 'slow down', rateLimitedS: s });

describe('recovery paths on random jobs in virtual time', () => {
  test.prop(
    [
      fc.integer({ min: 1, max: 6 }), // sheets
      fc.integer({ min: 0, max: 2 }), // retries
      fc.boolean(), // heal
      fc.boolean(), // escalate
      fc.boolean(), // a fallback instrument
      fc.double({ min: 0, max: 0.9, noNaN: true }), // failure rate
      fc.double({ min: 0, max: 0.3, noNaN: true }), // rate-limit rate
      fc.option(fc.integer({ min: 50, max: 500 }), { nil: undefined }), // timeout
      fc.integer(),
    ],
    { numRuns: RUNS },
  )(
    'rate limits consume no attempt, attempts stay within retries × fallbacks + healing, and every sheet ends terminal once fermatas are decided',
    async (count, retries, heal, escalate, withFallback, failureRate, limitRate, timeoutMs, seed) => {
      const clock = new VirtualClock();
      const random = prng(seed);
      const consumed = new Map<string, number>();
      const behave = () => {
        const roll = random();
        const outcome = roll < limitRate ? rateLimited(1 + Math.floor(random() * 60)) : random() < failureRate ? fail() : ok;
        return { durationMs: 1 + Math.floor(random() * 600), outcome };
      };
      // Counted on the outcome the conductor actually got: a rate-limited attempt cut short
      // by its timeout is a timeout, and does consume an attempt.
      const observer = {
        onEnd(request: AttemptRequest, outcome: AttemptOutcome) {
          if (outcome.rateLimitedS === undefined) consumed.set(request.sheetId, (consumed.get(request.sheetId) ?? 0) + 1);
        },
      };
      const primary = new SimInstrument('primary', clock, behave, observer);
      const backup = new SimInstrument('backup', clock, behave, observer);
      const score = buildScore({
        instruments: { primary: { fallback: withFallback ? ['backup'] : [] }, backup: {} },
        stages: [
          {
            id: 's',
            fanOut: count,
            instrument: 'primary',
            retries,
            heal,
            escalate,
            ...(timeoutMs !== undefined ? { timeoutMs } : {}),
            backoff: { initialMs: 100, factor: 2, maxMs: 1000, jitter: 0.5 },
          },
        ],
      });
      const conductor = new Conductor({ clock, random });
      const id = conductor.register(score, { instruments: { primary, backup } });

      let result = await runToEnd(conductor, clock, id);
      let decisions = 0;
      while (result.outcome === 'held') {
        // A held job has nothing active: only fermatas (and what waits on them) remain.
        expect(result.sheets.every((s) => ['fermata', 'completed', 'failed', 'skipped', 'pending'].includes(s.state))).toBe(true);
        for (const sheet of result.sheets.filter((s) => s.state === 'fermata')) {
          const decision = (['skip', 'fail', 'accept'] as const)[decisions++ % 3]!;
          conductor.decide(id, sheet.id, decision);
        }
        result = await runToEnd(conductor, clock, id);
      }

      const perInstrument = 1 + retries;
      const bound = perInstrument * (withFallback ? 2 : 1) + (heal ? 1 : 0);
      for (const sheet of result.sheets) {
        expect(['completed', 'failed', 'skipped']).toContain(sheet.state);
        expect(consumed.get(sheet.id) ?? 0).toBeLessThanOrEqual(bound);
        if (sheet.state === 'failed') expect(consumed.get(sheet.id)).toBe(bound);
      }
      expect(result.counts.fermata).toBe(0);
      await conductor.shutdown();
    },
  );
});
