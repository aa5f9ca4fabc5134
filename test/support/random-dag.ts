import { fc } from '@fast-check/vitest';
import type { BackoffPolicy } from '../../src/index.js';
import type { ScoreDraft, StageDraft } from './build-score.js';

export interface DagOptions {
  maxStages: number;
  /** Let stages escalate exhausted sheets to a fermata. */
  escalate?: boolean;
  /** Let instrument `a` fall back to `b`. */
  fallback?: boolean;
  backoff?: Partial<BackoffPolicy>;
  workspace?: string;
}

/**
 * Random jobs on two instruments: `a` (capped, with models `m1` capped and `m2` free) and
 * `b` (capped or not); stages fan out to 1–3 members and depend on earlier stages, whole
 * or one member, so every draft is acyclic.
 */
export function dagDraftArb(options: DagOptions): fc.Arbitrary<ScoreDraft> {
  const stageArb = (index: number): fc.Arbitrary<StageDraft> =>
    fc
      .record({
        fanOut: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        deps: fc.array(fc.record({ target: fc.nat(), member: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }) }), { maxLength: 3 }),
        instrument: fc.constantFrom('a', 'b'),
        model: fc.constantFrom(undefined, 'm1', 'm2'),
        retries: fc.integer({ min: 0, max: 2 }),
        onDependencyFailure: fc.constantFrom('skip' as const, 'fail' as const),
        escalate: options.escalate ? fc.boolean() : fc.constant(false),
      })
      .map((s) => ({
        id: `s${index}`,
        ...(s.fanOut !== undefined ? { fanOut: s.fanOut } : {}),
        instrument: s.instrument,
        ...(s.instrument === 'a' && s.model !== undefined ? { model: s.model } : {}),
        retries: s.retries,
        ...(options.backoff ? { backoff: options.backoff } : {}),
        onDependencyFailure: s.onDependencyFailure,
        escalate: s.escalate,
        // Resolved against earlier stages below, once their fan-outs are known.
        deps: index === 0 ? [] : s.deps.map((d) => `${d.target % index}|${d.member ?? 0}`),
      }));

  return fc
    .integer({ min: 1, max: options.maxStages })
    .chain((n) =>
      fc.record({
        stages: fc.tuple(...Array.from({ length: n }, (_, i) => stageArb(i))),
        concurrency: fc.integer({ min: 1, max: 5 }),
        capA: fc.integer({ min: 1, max: 3 }),
        capM1: fc.integer({ min: 1, max: 2 }),
        capB: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        fallback: options.fallback ? fc.boolean() : fc.constant(false),
      }),
    )
    .map(({ stages, concurrency, capA, capM1, capB, fallback }) => ({
      ...(options.workspace !== undefined ? { workspace: options.workspace } : {}),
      concurrency,
      stages: stages.map((stage) => ({
        ...stage,
        deps: (stage.deps ?? []).map((d) => {
          const [target, member] = d.split('|').map(Number) as [number, number];
          const dep = stages[target]!;
          return member > 0 && dep.fanOut !== undefined && member <= dep.fanOut ? `${dep.id}.${member}` : dep.id;
        }),
      })),
      instruments: {
        a: { concurrency: capA, models: { m1: { concurrency: capM1 }, m2: {} }, fallback: fallback ? ['b'] : [] },
        b: capB === undefined ? {} : { concurrency: capB },
      },
    }));
}
