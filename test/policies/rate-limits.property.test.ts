import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { RateLimitCoordinator, type RateLimitChange } from '../../src/runtime/gates/rate-limits.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);

const INSTRUMENTS = ['a', 'b', 'c'] as const;
const MODELS = [undefined, 'm1', 'm2'] as const;

type Op =
  | { kind: 'report'; instrument: string; model: string | undefined; waitMs: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'clear'; instrument: string | undefined }
  | { kind: 'prune' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('report' as const),
      instrument: fc.constantFrom(...INSTRUMENTS),
      model: fc.constantFrom(...MODELS),
      waitMs: fc.integer({ min: 0, max: 10_000 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 6_000 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('clear' as const), instrument: fc.constantFrom(undefined, '', 'zzz', ...INSTRUMENTS) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('prune' as const) }) },
);

/** The reference: instrument → model ('' = instrument-wide) → until; no expiry bookkeeping at all. */
class Reference {
  readonly untils = new Map<string, number>();
  private key = (instrument: string, model: string | undefined) => `${instrument}\u0000${model ?? ''}`;

  report(instrument: string, model: string | undefined, now: number, waitMs: number): void {
    const key = this.key(instrument, model);
    this.untils.set(key, Math.max(this.untils.get(key) ?? -Infinity, now + waitMs));
  }

  clear(instrument: string | undefined): void {
    if (instrument === undefined) this.untils.clear();
    else for (const key of [...this.untils.keys()]) if (key.startsWith(`${instrument}\u0000`)) this.untils.delete(key);
  }

  until(instrument: string, model: string | undefined): number {
    const wide = this.untils.get(this.key(instrument, undefined)) ?? -Infinity;
    return model === undefined ? wide : Math.max(wide, this.untils.get(this.key(instrument, model)) ?? -Infinity);
  }

  active(now: number): number[] {
    return [...this.untils.values()].filter((u) => u > now);
  }
}

describe('RateLimitCoordinator against a reference model', () => {
  test.prop([fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 0, max: 20 })], { numRuns: RUNS })(
    'isRateLimited, activeLimits, nextExpiry, nextPrune and history agree with the reference after every operation',
    (ops, historyLimit) => {
      let now = 0;
      const coordinator = new RateLimitCoordinator({ now: () => now }, { historyLimit });
      const reference = new Reference();
      const heard: RateLimitChange[] = [];
      coordinator.onChange((c) => heard.push(c));

      for (const op of ops) {
        switch (op.kind) {
          case 'report': {
            const exact = reference.untils.get(`${op.instrument}\u0000${op.model ?? ''}`) ?? -Infinity;
            const limit = coordinator.report(op.instrument, op.waitMs, { jobId: 'j', sheetId: 's', ...(op.model && { model: op.model }) });
            reference.report(op.instrument, op.model, now, op.waitMs);
            // The limit in force for that key: the later of the active one and the new one.
            expect(limit.until).toBe(Math.max(exact > now ? exact : -Infinity, now + op.waitMs));
            break;
          }
          case 'advance':
            now += op.ms;
            break;
          case 'clear': {
            const expected =
              op.instrument === ''
                ? 0
                : [...reference.untils.entries()].filter(
                    ([key, until]) => until > now && (op.instrument === undefined || key.startsWith(`${op.instrument}\u0000`)),
                  ).length;
            expect(coordinator.clear(op.instrument)).toBe(expected);
            if (op.instrument !== '') reference.clear(op.instrument);
            break;
          }
          case 'prune':
            coordinator.prune();
            expect(coordinator.history().length).toBeLessThanOrEqual(historyLimit);
            break;
        }

        for (const instrument of [...INSTRUMENTS, 'zzz']) {
          for (const model of MODELS) {
            const until = reference.until(instrument, model);
            expect(coordinator.isRateLimited(instrument, model)).toEqual({
              limited: until > now,
              remainingMs: Math.max(0, until - now),
            });
          }
        }
        const active = reference.active(now);
        expect(coordinator.activeLimits().map((l) => l.until).sort((x, y) => x - y)).toEqual([...active].sort((x, y) => x - y));
        expect(coordinator.nextExpiry()).toBe(active.length === 0 ? undefined : Math.min(...active));
        // Held limits (expired ones not pruned yet included) are never fewer than active ones:
        // a wake-up at nextPrune() comes no later than one at nextExpiry().
        const nextPrune = coordinator.nextPrune();
        if (active.length > 0) expect(nextPrune).toBeLessThanOrEqual(Math.min(...active));
        if (nextPrune === undefined) expect(active).toEqual([]);
        expect(coordinator.history().length).toBeLessThanOrEqual(historyLimit);
      }

      // Listeners heard every change, and the history is exactly the most recent of them.
      expect(coordinator.history()).toEqual(historyLimit === 0 ? [] : heard.slice(-historyLimit));
      // After a final prune, nothing expired is left to clear.
      coordinator.prune();
      expect(coordinator.clear()).toBe(reference.active(now).length);
    },
  );
});
