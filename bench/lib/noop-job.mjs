// The S1 job (also timed by S2, S5 and the S6 baseline): one score with a single fan-out entry of
// N no-op sheets on a function instrument, job concurrency 10.
import { Conductor, defineScore } from './baton.mjs';

export function noopScore(n) {
  return defineScore({
    version: 1,
    name: 'bench',
    concurrency: 10,
    // S2 goes to 1M sheets, past the default limit meant for scores run with a checkpoint.
    max_sheets: Math.max(n, 1),
    instruments: { noop: { kind: 'function', run: async () => ({ ok: true }) } },
    sheets: [{ id: 'noop', fan_out: n }],
  });
}

/**
 * Runs the job to its end on a fresh conductor: register (with `store`, if given) →
 * waitForCompletion → shutdown. `sample` is measure()'s heap sampler.
 */
export async function runNoopJob(score, { store, sample = () => {} } = {}) {
  const conductor = new Conductor();
  const id = conductor.register(score, store === undefined ? {} : { store });
  sample();
  const result = await conductor.waitForCompletion(id);
  sample();
  await conductor.shutdown();
  if (result.outcome !== 'completed') throw new Error(`job ended ${result.outcome}`);
  return result;
}

/** Throws unless `store` holds the finished job: outcome completed, N sheets all completed. */
export function checkCheckpoint(store, n) {
  const job = store.loadJob();
  if (job?.outcome !== 'completed') throw new Error(`checkpoint: job outcome ${job?.outcome ?? 'missing'}`);
  const sheets = store.loadSheets();
  const completed = sheets.filter((s) => s.state === 'completed').length;
  if (sheets.length !== n || completed !== n) {
    throw new Error(`checkpoint: ${sheets.length} sheet rows, ${completed} completed, expected ${n}`);
  }
}
