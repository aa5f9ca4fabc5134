import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { Conductor, VirtualClock, type AttemptRequest } from '../../src/index.js';
import { buildScore, type ScoreDraft, type StageDraft } from '../support/build-score.js';
import { dagDraftArb } from '../support/random-dag.js';
import { prng } from '../support/random.js';
import { fail, ok, runToEnd, SimInstrument } from '../support/virtual-run.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);

const draftArb = dagDraftArb({ maxStages: 8 });

/** Sheet ids of a draft, and each sheet's direct dependencies as sheet ids. */
function sheetGraph(draft: ScoreDraft): Map<string, { deps: string[]; stage: StageDraft }> {
  const members = new Map<string, string[]>();
  for (const s of draft.stages) {
    members.set(s.id, s.fanOut === undefined ? [s.id] : Array.from({ length: s.fanOut }, (_, i) => `${s.id}.${i + 1}`));
  }
  const graph = new Map<string, { deps: string[]; stage: StageDraft }>();
  for (const s of draft.stages) {
    const deps = (s.deps ?? []).flatMap((d) => members.get(d) ?? [d]);
    for (const id of members.get(s.id)!) graph.set(id, { deps, stage: s });
  }
  return graph;
}

describe('conductor invariants on random DAGs in virtual time', () => {
  test.prop([draftArb, fc.integer(), fc.double({ min: 0, max: 0.6, noNaN: true }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 2 })], {
    numRuns: RUNS,
  })(
    'caps hold, dependencies precede, attempts are bounded, every sheet ends, failures reach exactly the transitive dependents',
    async (draft, seed, failureRate, maxConcurrent, jobCount) => {
      const clock = new VirtualClock();
      const random = prng(seed);
      const graph = sheetGraph(draft);
      const succeeded = new Map<string, Set<string>>();
      const inFlightByJob = new Map<string, number>();
      let globalInFlight = 0;
      const violations: string[] = [];
      const score = buildScore(draft);

      const observer = {
        onStart(request: AttemptRequest) {
          globalInFlight++;
          const n = (inFlightByJob.get(request.jobId) ?? 0) + 1;
          inFlightByJob.set(request.jobId, n);
          if (globalInFlight > maxConcurrent) violations.push(`global ${globalInFlight} > ${maxConcurrent}`);
          if (n > score.concurrency) violations.push(`job ${n} > ${score.concurrency}`);
          const done = succeeded.get(request.jobId) ?? new Set();
          for (const dep of graph.get(request.sheetId)!.deps) {
            if (!done.has(dep)) violations.push(`${request.sheetId} started before ${dep} completed`);
          }
        },
        onEnd(request: AttemptRequest, outcome: { status: string }) {
          globalInFlight--;
          inFlightByJob.set(request.jobId, inFlightByJob.get(request.jobId)! - 1);
          if (outcome.status === 'success') {
            const done = succeeded.get(request.jobId) ?? new Set();
            done.add(request.sheetId);
            succeeded.set(request.jobId, done);
          }
        },
      };
      const behave = () => ({
        durationMs: 1 + Math.floor(random() * 1000),
        outcome: random() < failureRate ? fail() : ok,
      });
      const a = new SimInstrument('a', clock, behave, observer);
      const b = new SimInstrument('b', clock, behave, observer);

      const conductor = new Conductor({ clock, maxConcurrent, random });
      const jobIds = Array.from({ length: jobCount }, () => conductor.register(score, { instruments: { a, b } }));
      const results = await Promise.all(jobIds.map((id) => runToEnd(conductor, clock, id)));

      expect(violations).toEqual([]);
      expect(a.maxInFlight).toBeLessThanOrEqual(draft.instruments!.a!.concurrency!);
      expect(a.maxByModel.get('m1') ?? 0).toBeLessThanOrEqual(draft.instruments!.a!.models!.m1!.concurrency!);
      const capB = draft.instruments!.b!.concurrency;
      if (capB !== undefined) expect(b.maxInFlight).toBeLessThanOrEqual(capB);

      for (const result of results) {
        const byId = new Map(result.sheets.map((s) => [s.id, s]));
        const failedOwn = new Set(result.sheets.filter((s) => s.state === 'failed' && s.reason !== 'dependency').map((s) => s.id));
        // Transitive dependents of the sheets that failed on their own.
        const doomed = new Set<string>();
        let grew = true;
        while (grew) {
          grew = false;
          for (const [id, node] of graph) {
            if (doomed.has(id) || failedOwn.has(id)) continue;
            if (node.deps.some((d) => failedOwn.has(d) || doomed.has(d))) {
              doomed.add(id);
              grew = true;
            }
          }
        }
        for (const [id, node] of graph) {
          const sheet = byId.get(id)!;
          expect(['completed', 'failed', 'skipped', 'cancelled']).toContain(sheet.state);
          expect(sheet.attempts).toBeLessThanOrEqual(1 + (node.stage.retries ?? 0));
          if (doomed.has(id)) {
            expect(sheet.reason).toBe('dependency');
            expect(sheet.attempts).toBe(0);
            expect(sheet.state).toBe(node.stage.onDependencyFailure === 'fail' ? 'failed' : 'skipped');
          } else if (!failedOwn.has(id)) {
            expect(sheet.state).toBe('completed');
          }
        }
        expect(result.outcome).toBe(failedOwn.size + doomed.size === 0 ? 'completed' : 'failed');
      }
      await conductor.shutdown();
    },
  );
});
