// S6, baseline: the same L × 1,000 no-op sheets as one flat fan-out with no dependencies
// (the S1 job at that size): what the layers may cost on top of the sheets themselves.
import { argN, measure } from '../lib/measure.mjs';
import { noopScore, runNoopJob } from '../lib/noop-job.mjs';

const WIDTH = 1_000;
const n = argN() * WIDTH;

await measure(async (sample) => {
  await runNoopJob(noopScore(n), { sample });
});
