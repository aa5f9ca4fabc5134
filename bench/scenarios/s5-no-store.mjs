// S5, second baseline: the same job with no checkpoint store at all (S1's baton child,
// run here in the same alternation as the two stores). Times defineScore → register →
// waitForCompletion → shutdown.
import { argN, measure } from '../lib/measure.mjs';
import { noopScore, runNoopJob } from '../lib/noop-job.mjs';

const n = argN();

await measure(async (sample) => {
  const score = noopScore(n);
  await runNoopJob(score, { sample });
});
