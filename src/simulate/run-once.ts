import { VirtualClock } from '../runtime/clock.js';
import { Conductor } from '../runtime/conductor.js';
import type { JobResult } from '../runtime/conductor-options.js';
import type { Score } from '../score/types.js';
import type { Behaviours } from './behaviours.js';
import { seededRandom, streamSeed } from './random.js';
import type { SheetGraph } from './sheet-graph.js';
import { SimulatedInstrument, type RateLimitReport, type RunState } from './simulated-instrument.js';

/** One run of a simulation, as the conductor ended it. */
export interface RunMeasure {
  result: JobResult;
  /** Time during which an instrument was rate-limited, summed over instruments. */
  rateLimitedMs: number;
}

/** A macrotask: by then every promise the last timers settled has run its callbacks. */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs the job of a score once with the real conductor in virtual time: the instruments are
 * simulated, the clock jumps from one timer to the next, and between jumps every settled
 * attempt reaches the conductor before time moves on.
 */
export async function runOnce(score: Score, behaviours: Behaviours, graph: SheetGraph, seed: number, run: number): Promise<RunMeasure> {
  const clock = new VirtualClock();
  const state: RunState = { clock, seed, run, behaviours, graph, dispatches: new Map(), rateLimits: [] };
  const instruments = Object.fromEntries(
    Object.entries(score.instruments).map(([name, spec]) => [
      name,
      new SimulatedInstrument(name, state, spec.rateLimit?.maxWaitMs ?? Infinity),
    ]),
  );
  const conductor = new Conductor({ clock, random: seededRandom(streamSeed(seed, run, 'conductor')), readContext: false });
  try {
    const jobId = conductor.register(score, { instruments });
    let result: JobResult | undefined;
    void conductor.waitForCompletion(jobId).then((r) => (result = r));
    for (;;) {
      await settled();
      if (result !== undefined) break;
      if (!clock.runNext()) {
        await settled();
        if (result !== undefined) break;
        throw new Error(`simulation of "${score.name}" stuck at ${clock.now()} ms: no timer left and the job has not ended`);
      }
    }
    return { result, rateLimitedMs: limitedTime(state.rateLimits, result.durationMs) };
  } finally {
    await conductor.shutdown();
  }
}

/**
 * How long instruments were rate-limited before `end`: per instrument, the union of the
 * reported waits (a later report never shortens a limit, so overlapping waits merge).
 */
function limitedTime(reports: readonly RateLimitReport[], end: number): number {
  const byInstrument = new Map<string, RateLimitReport[]>();
  for (const report of reports) {
    const list = byInstrument.get(report.instrument);
    if (list === undefined) byInstrument.set(report.instrument, [report]);
    else list.push(report);
  }
  let total = 0;
  for (const list of byInstrument.values()) {
    list.sort((a, b) => a.at - b.at);
    let coveredTo = -Infinity;
    for (const { at, waitMs } of list) {
      const from = Math.max(at, coveredTo);
      const to = Math.min(at + waitMs, end);
      if (to > from) total += to - from;
      coveredTo = Math.max(coveredTo, at + waitMs);
    }
  }
  return total;
}
