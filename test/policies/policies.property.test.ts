/**
 * Policy invariants on random jobs in virtual time: random DAGs (one or two jobs sharing the
 * instruments) with random failures, rate limits, costs, circuit breakers, fallbacks,
 * healing, escalation and budgets. Checked at every attempt start, from the instrument's side:
 * - nothing starts on an instrument while it is rate-limited or while its breaker is open;
 *   while half-open, at most one attempt started in that state is in flight (the probe);
 * - a rate-limited attempt never consumes an attempt (the next one on the same instrument and
 *   mode has the same number);
 * - a sheet's run number (`{{sheet.run}}`) is 1 at its first start and one more at each next
 *   one, whatever the mode, instrument, outcome or decision before it;
 * - a job's cost (as the conductor counts it) is below its budget at every start: only
 *   attempts already running when it was reached can exceed it;
 * and at the end:
 * - attempts that were not rate-limited stay within (1 + retries) × (1 + fallbacks) + heal
 *   (per round of fermata `retry` decisions);
 * - every sheet ends terminal (fermatas are decided, budget pauses lifted by a raised budget),
 *   and a job never reports `completed` while a fermata is open.
 */
import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  Conductor,
  TERMINAL_STATES,
  VirtualClock,
  type AttemptOutcome,
  type AttemptRequest,
  type FermataDecision,
  type JobResult,
} from '../../src/index.js';
import { buildScore, type ScoreDraft } from '../support/build-score.js';
import { dagDraftArb } from '../support/random-dag.js';
import { prng } from '../support/random.js';
import { advanceUntil, SimInstrument } from '../support/virtual-run.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);

const INSTRUMENTS = ['a', 'b'] as const;

interface Policies {
  draft: ScoreDraft;
  heal: boolean[];
  seed: number;
  failureRate: number;
  rateLimitRate: number;
  costRate: number;
  breakers: Array<{ failures: number; cooldownMs: number } | null>;
  budgetUsd: number | null;
  jobCount: number;
  maxConcurrent: number;
}

const policiesArb = (withBreakers: boolean): fc.Arbitrary<Policies> =>
  fc.record({
    draft: dagDraftArb({ maxStages: 6, escalate: true, fallback: true, backoff: { initialMs: 50, factor: 2, maxMs: 2000, jitter: 0.2 } }),
    heal: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    seed: fc.integer(),
    failureRate: fc.double({ min: 0, max: 0.6, noNaN: true }),
    rateLimitRate: fc.double({ min: 0, max: 0.4, noNaN: true }),
    costRate: fc.double({ min: 0, max: 1, noNaN: true }),
    breakers: withBreakers
      ? fc.tuple(
          fc.option(fc.record({ failures: fc.integer({ min: 1, max: 3 }), cooldownMs: fc.integer({ min: 50, max: 3000 }) }), { nil: null }),
          fc.option(fc.record({ failures: fc.integer({ min: 1, max: 3 }), cooldownMs: fc.integer({ min: 50, max: 3000 }) }), { nil: null }),
        )
      : fc.constant([null, null]),
    budgetUsd: fc.option(fc.double({ min: 0.01, max: 1, noNaN: true }), { nil: null }),
    jobCount: fc.integer({ min: 1, max: 2 }),
    maxConcurrent: fc.integer({ min: 1, max: 8 }),
  });

interface RunReport {
  violations: string[];
  stuck: boolean;
  /** Breaker states when stuck, to say where. */
  breakersWhenStuck: string[];
  finals: JobResult[];
  /** Non-rate-limited attempts and `retry` decisions per job/sheet. */
  consumed: Map<string, number>;
  retryDecisions: Map<string, number>;
  completedWithFermata: string[];
}

async function simulate(p: Policies): Promise<RunReport> {
  const clock = new VirtualClock();
  const random = prng(p.seed);
  const conductor = new Conductor({ clock, maxConcurrent: p.maxConcurrent, random });
  const draft: ScoreDraft = {
    ...p.draft,
    ...(p.budgetUsd !== null ? { budgetUsd: p.budgetUsd } : {}),
    stages: p.draft.stages.map((stage, i) => ({ ...stage, heal: p.heal[i] ?? false })),
    instruments: Object.fromEntries(
      INSTRUMENTS.map((name, i) => {
        const breaker = p.breakers[i];
        return [name, { ...p.draft.instruments![name], ...(breaker ? { circuitBreaker: breaker } : {}) }];
      }),
    ),
  };
  const score = buildScore(draft);

  const violations: string[] = [];
  const budgets = new Map<string, number | undefined>();
  const consumed = new Map<string, number>();
  const last = new Map<string, { instrument: string; attempt: number; mode: string; rateLimited: boolean }>();
  const probes = new Set<AttemptRequest>();
  const probesInFlight = new Map<string, number>();
  const key = (r: AttemptRequest) => `${r.jobId}/${r.sheetId}`;
  const runs = new Map<string, number>();

  const observer = {
    onStart(request: AttemptRequest, instrument: SimInstrument) {
      const name = instrument.name;
      const at = clock.now();
      const where = `${key(request)} on ${name} at ${at}`;
      if (conductor.rateLimits.isRateLimited(name).limited) violations.push(`started while rate-limited: ${where}`);
      const breaker = conductor.breakerState(name);
      if (breaker === 'open') violations.push(`started while the circuit is open: ${where}`);
      if (breaker === 'halfOpen') {
        const flying = probesInFlight.get(name) ?? 0;
        if (flying > 0) violations.push(`second attempt while half-open: ${where}`);
        probesInFlight.set(name, flying + 1);
        probes.add(request);
      }
      const budget = budgets.get(request.jobId);
      if (budget !== undefined) {
        const spent = conductor.status(request.jobId).costUsd;
        if (spent >= budget) violations.push(`started with ${spent} spent of a ${budget} budget: ${where}`);
      }
      const run = (runs.get(key(request)) ?? 0) + 1;
      if (request.run !== run) violations.push(`run ${request.run} where ${run} was due: ${where}`);
      runs.set(key(request), request.run);
      const previous = last.get(key(request));
      if (previous?.rateLimited && previous.instrument === name && previous.mode === request.mode && previous.attempt !== request.attempt) {
        violations.push(`a rate-limited attempt ${previous.attempt} was consumed: next is ${request.attempt}, ${where}`);
      }
    },
    onEnd(request: AttemptRequest, outcome: AttemptOutcome) {
      const name = current(request);
      const rateLimited = outcome.status === 'failure' && outcome.rateLimitedS !== undefined;
      if (probes.delete(request)) {
        probesInFlight.set(name, probesInFlight.get(name)! - 1);
      }
      last.set(key(request), { instrument: current(request), attempt: request.attempt, mode: request.mode, rateLimited });
      if (!rateLimited) consumed.set(key(request), (consumed.get(key(request)) ?? 0) + 1);
    },
  };
  // Which instrument ran a request: recorded at start (a request object is one attempt).
  const ranOn = new Map<AttemptRequest, string>();
  const current = (request: AttemptRequest) => ranOn.get(request)!;

  const behave = (request: AttemptRequest) => {
    const u = random();
    const cost = random() < p.costRate ? Math.round(random() * 100) / 1000 : undefined;
    const withCost = (o: AttemptOutcome): AttemptOutcome => (cost === undefined ? o : { ...o, costUsd: cost });
    let outcome: AttemptOutcome;
    if (u < p.rateLimitRate) outcome = withCost({ status: 'failure', error: '429', rateLimitedS: Math.floor(random() * 30) / 10 });
    else if (u < p.rateLimitRate + p.failureRate * (1 - p.rateLimitRate)) outcome = withCost({ status: 'failure', error: 'boom', exitCode: 1 });
    else outcome = withCost({ status: 'success' });
    void request;
    return { durationMs: 1 + Math.floor(random() * 400), outcome };
  };
  const instruments = Object.fromEntries(
    INSTRUMENTS.map((name) => {
      const sim: SimInstrument = new SimInstrument(name, clock, behave, {
        onStart: (request, self) => {
          ranOn.set(request, self.name);
          observer.onStart(request, self);
        },
        onEnd: (request, outcome) => observer.onEnd(request, outcome),
      });
      return [name, sim];
    }),
  );

  const ids = Array.from({ length: p.jobCount }, () => {
    const id = conductor.register(score, { instruments });
    budgets.set(id, score.budgetUsd);
    return id;
  });
  // Registration dispatches at once, before `budgets` knew the id: nothing had a cost yet then.

  const results = new Map<string, JobResult>();
  const finals = new Map<string, JobResult>();
  const retryDecisions = new Map<string, number>();
  const rounds = new Map<string, number>();
  const completedWithFermata: string[] = [];
  const watch = (id: string) => void conductor.waitForCompletion(id).then((r) => results.set(id, r));
  ids.forEach(watch);

  const handleResults = (): boolean => {
    let acted = false;
    for (const [id, result] of [...results]) {
      results.delete(id);
      acted = true;
      if (result.outcome === 'completed' && result.counts.fermata > 0) completedWithFermata.push(id);
      if (result.outcome === 'held') {
        const round = (rounds.get(id) ?? 0) + 1;
        rounds.set(id, round);
        for (const sheet of result.sheets.filter((s) => s.state === 'fermata')) {
          const choices: FermataDecision[] = round <= 2 ? ['retry', 'skip', 'fail', 'accept'] : ['skip', 'fail', 'accept'];
          const decision = choices[Math.floor(random() * choices.length)]!;
          if (decision === 'retry') retryDecisions.set(`${id}/${sheet.id}`, (retryDecisions.get(`${id}/${sheet.id}`) ?? 0) + 1);
          conductor.decide(id, sheet.id, decision);
        }
        watch(id);
      } else if (result.outcome === 'paused') {
        // Paused by its budget: nothing of it may be in flight now. Lift the budget and go on.
        if (result.inFlight !== 0) violations.push(`job ${id} paused with ${result.inFlight} in flight`);
        budgets.set(id, undefined);
        conductor.setBudget(id, undefined);
        watch(id);
      } else {
        finals.set(id, result);
      }
    }
    return acted;
  };

  // Step until every job has its final result. When nothing is left to happen, go on if the
  // last look at the results acted on one (a decision or a lifted budget), else it is stuck.
  let acted = false;
  const allFinal = (): boolean => {
    acted = handleResults();
    return finals.size === ids.length;
  };
  let stuck = false;
  while (!(await advanceUntil(clock, allFinal))) {
    if (!acted) {
      stuck = true;
      break;
    }
  }
  const breakersWhenStuck = stuck ? INSTRUMENTS.map((name) => conductor.breakerState(name)) : [];
  await conductor.shutdown();
  return { violations, stuck, breakersWhenStuck, finals: [...finals.values()], consumed, retryDecisions, completedWithFermata };
}

function attemptBound(p: Policies, stageId: string): number {
  const stage = p.draft.stages.find((s) => s.id === stageId)!;
  const index = p.draft.stages.indexOf(stage);
  const fallbacks = stage.instrument === 'a' ? (p.draft.instruments!.a!.fallback?.length ?? 0) : 0;
  return (1 + (stage.retries ?? 0)) * (1 + fallbacks) + (p.heal[index] ? 1 : 0);
}

function checkReport(p: Policies, report: RunReport): void {
  expect(report.violations).toEqual([]);
  expect(report.completedWithFermata).toEqual([]);
  for (const [sheetKey, attempts] of report.consumed) {
    const [jobId, sheetId] = sheetKey.split('/') as [string, string];
    const stageId = sheetId.includes('.') ? sheetId.slice(0, sheetId.lastIndexOf('.')) : sheetId;
    const rounds = 1 + (report.retryDecisions.get(`${jobId}/${sheetId}`) ?? 0);
    expect(attempts, `${sheetKey}`).toBeLessThanOrEqual(attemptBound(p, stageId) * rounds);
  }
  expect(report.stuck, `a job got stuck; breakers: ${report.breakersWhenStuck.join(', ')}`).toBe(false);
  for (const result of report.finals) {
    expect(['completed', 'failed']).toContain(result.outcome);
    expect(result.counts.fermata).toBe(0);
    for (const sheet of result.sheets) {
      expect(TERMINAL_STATES.has(sheet.state), `${sheet.id} ended ${sheet.state}`).toBe(true);
    }
    if (result.outcome === 'completed') {
      expect(result.sheets.every((s) => s.state === 'completed' || s.state === 'skipped')).toBe(true);
    }
  }
}

describe('policy invariants on random jobs, in virtual time', () => {
  it('rate limits, breakers, budgets, fallbacks, healing and fermatas: safety at every start, bounded attempts, every sheet ends', async () => {
    await fc.assert(
      fc.asyncProperty(policiesArb(true), async (p) => {
        checkReport(p, await simulate(p));
      }),
      { numRuns: RUNS },
    );
  });

  it('without breakers, no job is ever stuck: every sheet ends terminal', async () => {
    await fc.assert(
      fc.asyncProperty(policiesArb(false), async (p) => {
        checkReport(p, await simulate(p));
      }),
      { numRuns: RUNS },
    );
  });
});
