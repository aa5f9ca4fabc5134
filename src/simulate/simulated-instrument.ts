import type { AttemptHooks, AttemptOutcome, AttemptRequest, Instrument } from '../actors/instruments/instrument.js';
import type { ValidationReport } from '../actors/validations.js';
import type { VirtualClock } from '../runtime/clock.js';
import type { Behaviours, SimulatedBehaviour } from './behaviours.js';
import { sample } from './distribution.js';
import { seededRandom, streamSeed, type Random } from './random.js';
import type { SheetGraph } from './sheet-graph.js';

/** A rate limit a simulated attempt reported: from `at`, for `waitMs`. */
export interface RateLimitReport {
  instrument: string;
  at: number;
  waitMs: number;
}

/** What the simulated instruments of one run share. */
export interface RunState {
  clock: VirtualClock;
  seed: number;
  run: number;
  behaviours: Behaviours;
  graph: SheetGraph;
  /** Dispatches so far, by sheet id: numbers each attempt's random stream. */
  dispatches: Map<string, number>;
  rateLimits: RateLimitReport[];
}

/**
 * Stands in for an instrument of the score: each attempt draws its latency, cost and
 * outcome from the profile, from a random stream of its own, and ends on a virtual-clock
 * timer. Aborting it (a timeout, a cancel) ends it at once as a failure; it still costs
 * its draw.
 */
export class SimulatedInstrument implements Instrument {
  readonly kind = 'function' as const;

  constructor(
    readonly name: string,
    private readonly sim: RunState,
    /** Longest wait a rate limit of this instrument may set (its `rate_limit.max_wait`). */
    private readonly maxWaitMs: number,
  ) {}

  run(request: AttemptRequest, signal: AbortSignal, hooks: AttemptHooks): Promise<AttemptOutcome> {
    const sim = this.sim;
    const dispatch = (sim.dispatches.get(request.sheetId) ?? 0) + 1;
    sim.dispatches.set(request.sheetId, dispatch);
    const random = seededRandom(streamSeed(sim.seed, sim.run, request.sheetId, dispatch));
    const behaviour = sim.behaviours.of(this.name, request.model);
    const latency = Math.round(sample(behaviour.latency, random));
    const costUsd = sample(behaviour.costUsd, random);
    const drawn = this.outcome(request, behaviour, random, costUsd);
    hooks.onStarted();
    return new Promise((resolve) => {
      const timer = sim.clock.schedule(() => {
        signal.removeEventListener('abort', onAbort);
        if (drawn.waitMs !== undefined) sim.rateLimits.push({ instrument: this.name, at: sim.clock.now(), waitMs: drawn.waitMs });
        resolve(drawn.outcome);
      }, latency);
      const onAbort = (): void => {
        timer.unsubscribe();
        resolve({ status: 'failure', error: `aborted (${String(signal.reason)})`, costUsd });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
    });
  }

  /** Rate-limited, failed, or successful (fully or partly validated), in the profile's shares. */
  private outcome(
    request: AttemptRequest,
    behaviour: SimulatedBehaviour,
    random: Random,
    costUsd: number,
  ): { outcome: AttemptOutcome; waitMs?: number } {
    const roll = random();
    const limited = behaviour.rateLimit?.rate ?? 0;
    if (behaviour.rateLimit !== undefined && roll < limited) {
      // The conductor rounds and clamps the reported wait the same way.
      const waitMs = Math.min(Math.round(sample(behaviour.rateLimit.wait, random)), this.maxWaitMs);
      return { outcome: { status: 'failure', error: 'rate-limited (simulated)', rateLimitedS: waitMs / 1000, costUsd }, waitMs };
    }
    if (roll < limited + behaviour.failureRate) {
      return { outcome: { status: 'failure', error: 'failed (simulated)', exitCode: 1, costUsd } };
    }
    const sheet = this.sim.graph.indexOf.get(request.sheetId);
    const kinds = sheet === undefined ? [] : this.sim.graph.validations[this.sim.graph.stageOf[sheet]!]!;
    if (kinds.length === 0 || random() >= behaviour.partialRate) return { outcome: { status: 'success', costUsd } };
    return { outcome: { status: 'success', costUsd, validation: partialReport(kinds, random) } };
  }
}

/**
 * A validation report that is not a full pass: k of n checks pass, k drawn evenly from
 * 1..n-1, which sends the sheet into completion mode. A sheet with one check can only fail
 * it, which baton handles as a failed attempt.
 */
function partialReport(kinds: ReadonlyArray<ValidationReport['results'][number]['kind']>, random: Random): ValidationReport {
  const total = kinds.length;
  const passed = total < 2 ? 0 : 1 + Math.floor(random() * (total - 1));
  const results = kinds.map((kind, i) => ({ kind, description: `${kind} #${i + 1} (simulated)`, passed: i < passed }));
  return {
    passed,
    total,
    passRate: passed / total,
    results,
    failed: results.filter((r) => !r.passed).map((r) => r.description),
  };
}
