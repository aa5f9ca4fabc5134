// S9, baseline: the same job with `shared_concurrency: 10` and no backend: a cap of this
// process alone, which is the work baton does anyway.
import { argN, measure } from '../lib/measure.mjs';
import { runJob, sharedScore } from '../lib/shared-job.mjs';

const n = argN();
await measure(() => runJob(sharedScore(n, 10)));
