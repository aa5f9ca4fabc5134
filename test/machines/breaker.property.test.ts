import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { initialTransition, transition } from 'xstate';
import {
  breakerAllows,
  breakerMachine,
  type BreakerEvent,
  type BreakerInput,
  type BreakerState,
} from '../../src/machines/breaker.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);

const inputArb: fc.Arbitrary<BreakerInput> = fc.record(
  {
    failures: fc.integer({ min: 1, max: 5 }),
    cooldownMs: fc.integer({ min: 0, max: 60_000 }),
    // Small caps (often below the base, which the machine clamps) so the cap is hit often.
    maxCooldownMs: fc.integer({ min: 0, max: 120_000 }),
    growth: fc.double({ min: 1, max: 4, noNaN: true }),
  },
  { requiredKeys: ['failures', 'cooldownMs'] },
);

/** Any event, in any order, including ones a correct conductor would never send. */
const eventArb: fc.Arbitrary<BreakerEvent> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 1e9 }).map((at) => ({ type: 'FAILURE', at }) as const) },
  { weight: 2, arbitrary: fc.constant({ type: 'SUCCESS' } as const) },
  { weight: 2, arbitrary: fc.constant({ type: 'COOLDOWN_ELAPSED' } as const) },
  { weight: 2, arbitrary: fc.constant({ type: 'PROBE_STARTED' } as const) },
  { weight: 1, arbitrary: fc.constant({ type: 'RESET' } as const) },
);

/** The rules of the issue, written as plainly as possible. */
interface Model {
  state: BreakerState;
  count: number;
  opens: number;
  probe: boolean;
  reopenAt: number | null;
}

function step(model: Model, event: BreakerEvent, cfg: { failures: number; base: number; max: number; growth: number }): Model {
  if (event.type === 'RESET') return { state: 'closed', count: 0, opens: 0, probe: false, reopenAt: null };
  const open = (at: number, count: number): Model => {
    const opens = model.opens + 1;
    const cooldown = Math.min(cfg.max, cfg.base * cfg.growth ** (opens - 1));
    return { state: 'open', count, opens, probe: false, reopenAt: at + cooldown };
  };
  switch (model.state) {
    case 'closed':
      if (event.type === 'SUCCESS') return { ...model, count: 0 };
      if (event.type === 'FAILURE') {
        const count = model.count + 1;
        return count >= cfg.failures ? open(event.at, count) : { ...model, count };
      }
      return model;
    case 'open':
      return event.type === 'COOLDOWN_ELAPSED' ? { ...model, state: 'halfOpen', probe: false } : model;
    case 'halfOpen':
      if (event.type === 'PROBE_STARTED') return { ...model, probe: true };
      if (event.type === 'SUCCESS') return { state: 'closed', count: 0, opens: 0, probe: false, reopenAt: null };
      if (event.type === 'FAILURE') return open(event.at, model.count + 1);
      return model;
  }
}

describe('breaker machine against a reference model', () => {
  test.prop([inputArb, fc.array(eventArb, { maxLength: 80 })], { numRuns: RUNS })(
    'one probe at most, opens after exactly `failures` failures, bounded cool-downs, a half-open success closes',
    (input, events) => {
      const base = input.cooldownMs;
      const max = Math.max(base, input.maxCooldownMs ?? 10 * base);
      const cfg = { failures: input.failures, base, max, growth: input.growth ?? 2 };

      let [snap] = initialTransition(breakerMachine, input);
      let model: Model = { state: 'closed', count: 0, opens: 0, probe: false, reopenAt: null };
      // Consecutive FAILUREs seen in `closed` since it last closed or heard a success.
      let closedRun = 0;
      // PROBE_STARTED events that actually started a probe in the current half-open period.
      let probesThisHalfOpen = 0;

      for (const event of events) {
        const before = snap;
        [snap] = transition(breakerMachine, before, event);
        model = step(model, event, cfg);
        const state = snap.value;

        // Same state and counters as the model.
        expect(state).toBe(model.state);
        expect(snap.context.consecutiveFailures).toBe(model.count);
        expect(snap.context.opens).toBe(model.opens);
        expect(snap.context.probeInFlight).toBe(model.probe);
        expect(snap.context.reopenAt).toBe(model.reopenAt);

        // Open from closed only after exactly `failures` consecutive failures.
        if (before.value === 'closed') {
          if (event.type === 'FAILURE') closedRun++;
          if (event.type === 'SUCCESS' || event.type === 'RESET') closedRun = 0;
          if (state === 'open') {
            expect(event.type).toBe('FAILURE');
            expect(closedRun).toBe(input.failures);
          } else {
            expect(closedRun).toBeLessThan(input.failures);
          }
        }
        if (state !== 'closed') closedRun = 0;

        // Every opening's deadline lies within [at + cooldownMs, at + maxCooldown].
        if (event.type === 'FAILURE' && state === 'open' && before.value !== 'open') {
          expect(snap.context.openedAt).toBe(event.at);
          expect(snap.context.reopenAt).toBeGreaterThanOrEqual(event.at + base);
          expect(snap.context.reopenAt).toBeLessThanOrEqual(event.at + max);
        }
        if (state === 'open') {
          expect(snap.context.reopenAt).toBe((snap.context.openedAt ?? NaN) + (snap.context.cooldownMs ?? NaN));
        }

        // Never more than one probe per half-open period; 'one' exactly when none is in flight.
        if (before.value !== 'halfOpen') probesThisHalfOpen = 0;
        if (state === 'halfOpen') {
          if (!before.context.probeInFlight && snap.context.probeInFlight) probesThisHalfOpen++;
          expect(probesThisHalfOpen).toBeLessThanOrEqual(1);
          expect(breakerAllows(snap)).toBe(snap.context.probeInFlight ? 'none' : 'one');
        } else {
          expect(snap.context.probeInFlight).toBe(false);
          expect(breakerAllows(snap)).toBe(state === 'closed' ? 'any' : 'none');
        }

        // A success in halfOpen always closes, and a close forgets every opening.
        if (before.value === 'halfOpen' && event.type === 'SUCCESS') {
          expect(state).toBe('closed');
        }
        if (state === 'closed') {
          expect(snap.context).toMatchObject({ opens: 0, openedAt: null, reopenAt: null, cooldownMs: null });
        }
      }
    },
  );
});
