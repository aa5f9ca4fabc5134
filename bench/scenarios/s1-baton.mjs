// S1, baton: one score with a single fan-out entry of N no-op sheets on a function
// instrument, job concurrency 10. Times register → waitForCompletion → shutdown.
import { argN, measure } from '../lib/measure.mjs';
import { noopScore, runNoopJob } from '../lib/noop-job.mjs';

const n = argN();

await measure(async (sample) => {
  const result = await runNoopJob(noopScore(n), { sample });
  return { outcome: result.outcome };
});
