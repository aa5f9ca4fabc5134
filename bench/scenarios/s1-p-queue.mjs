// S1, baseline: p-queue with concurrency 10 running N no-op async tasks.
import PQueue from 'p-queue';
import { argN, measure } from '../lib/measure.mjs';

const n = argN();
const noop = async () => {};

await measure(async (sample) => {
  const queue = new PQueue({ concurrency: 10 });
  for (let i = 0; i < n; i++) queue.add(noop);
  sample();
  await queue.onIdle();
});
