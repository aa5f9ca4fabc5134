import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { defineProfile, simulate } from '../../src/index.js';
import { buildScore, type ScoreDraft, type StageDraft } from '../support/build-score.js';
import { dagDraftArb } from '../support/random-dag.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);

/** Seconds per attempt for each (instrument, model) the random DAGs use. */
const latenciesArb = fc.record({
  a: fc.integer({ min: 1, max: 9 }),
  m1: fc.integer({ min: 1, max: 9 }),
  m2: fc.integer({ min: 1, max: 9 }),
  b: fc.integer({ min: 1, max: 9 }),
});
type Latencies = { a: number; m1: number; m2: number; b: number };

function profileOf(l: Latencies, extra: { failure_rate?: number; cost_usd?: number } = {}) {
  return defineProfile({
    default: extra,
    instruments: {
      a: { latency: l.a, models: { m1: { latency: l.m1 }, m2: { latency: l.m2 } } },
      b: { latency: l.b },
    },
  });
}

function latencyMs(stage: StageDraft, l: Latencies): number {
  if (stage.instrument === 'b') return l.b * 1000;
  return (stage.model === 'm1' ? l.m1 : stage.model === 'm2' ? l.m2 : l.a) * 1000;
}

/** Every sheet of a draft with its latency and the sheet ids it depends on. */
function sheetsOf(draft: ScoreDraft, l: Latencies): Map<string, { latency: number; deps: string[] }> {
  const members = new Map<string, string[]>();
  for (const s of draft.stages) {
    members.set(s.id, s.fanOut === undefined ? [s.id] : Array.from({ length: s.fanOut }, (_, i) => `${s.id}.${i + 1}`));
  }
  const sheets = new Map<string, { latency: number; deps: string[] }>();
  for (const s of draft.stages) {
    const deps = (s.deps ?? []).flatMap((d) => members.get(d) ?? [d]);
    for (const id of members.get(s.id)!) sheets.set(id, { latency: latencyMs(s, l), deps });
  }
  return sheets;
}

/** The longest chain of latencies through the dependencies: no schedule can beat it. */
function longestChain(sheets: Map<string, { latency: number; deps: string[] }>): number {
  const finish = new Map<string, number>();
  const at = (id: string): number => {
    const known = finish.get(id);
    if (known !== undefined) return known;
    const sheet = sheets.get(id)!;
    const end = sheet.latency + Math.max(0, ...sheet.deps.map(at));
    finish.set(id, end);
    return end;
  };
  return Math.max(...[...sheets.keys()].map(at));
}

describe('simulate on random DAGs', () => {
  test.prop([dagDraftArb({ maxStages: 6 }), latenciesArb, fc.integer()], { numRuns: RUNS })(
    'without failures: longest chain ≤ makespan ≤ all latencies summed, one attempt per sheet, and the critical path is a chain ending at the makespan',
    async (draft, latencies, seed) => {
      const sheets = sheetsOf(draft, latencies);
      const result = await simulate(buildScore(draft), profileOf(latencies), { seed, runs: 1 });
      const run = result.perRun[0]!;
      const total = [...sheets.values()].reduce((t, s) => t + s.latency, 0);
      expect(run.outcome).toBe('completed');
      expect(run.attempts).toBe(sheets.size);
      expect(run.makespanMs).toBeGreaterThanOrEqual(longestChain(sheets));
      expect(run.makespanMs).toBeLessThanOrEqual(total);

      const path = result.criticalPath.sheets;
      expect(path.at(-1)!.endedAtMs).toBe(run.makespanMs);
      expect(sheets.get(path[0]!.id)!.deps).toEqual([]);
      for (let i = 1; i < path.length; i++) {
        const before = path[i - 1]!;
        const step = path[i]!;
        expect(sheets.get(step.id)!.deps).toContain(before.id);
        expect(step.startedAtMs!).toBeGreaterThanOrEqual(before.endedAtMs);
        expect(step.endedAtMs - step.startedAtMs!).toBe(sheets.get(step.id)!.latency);
      }
    },
  );

  test.prop(
    [dagDraftArb({ maxStages: 6 }), latenciesArb, fc.integer(), fc.double({ min: 0, max: 0.6, noNaN: true })],
    { numRuns: Math.max(1, Math.floor(RUNS / 2)) },
  )('with failures: every run replays exactly, attempts stay within the retries, each attempt costs its share', async (draft, latencies, seed, failureRate) => {
    const score = buildScore(draft);
    const profile = profileOf(latencies, { failure_rate: failureRate, cost_usd: 0.25 });
    const result = await simulate(score, profile, { seed, runs: 2 });
    expect(JSON.stringify(await simulate(score, profile, { seed, runs: 2 }))).toBe(JSON.stringify(result));
    const most = draft.stages.reduce((n, s) => n + (s.fanOut ?? 1) * (1 + (s.retries ?? 0)), 0);
    for (const run of result.perRun) {
      expect(run.attempts).toBeLessThanOrEqual(most);
      expect(run.costUsd).toBe(run.attempts * 0.25);
      expect(run.rateLimitedMs).toBe(0);
    }
    const completed = result.sheets.reduce((n, s) => n + s.completed, 0);
    expect(result.perRun.reduce((n, r) => n + r.attempts, 0)).toBeGreaterThanOrEqual(completed);
  });
});
