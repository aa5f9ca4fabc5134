// S5, baseline: the same job checkpointed to a MemoryStore (every commit deep-copies its
// rows; nothing touches the disk). Times defineScore → new MemoryStore() → register →
// waitForCompletion → shutdown → close(); afterwards, untimed, checks that every sheet is
// stored completed.
import { argN, measure } from '../lib/measure.mjs';
import { checkCheckpoint, noopScore, runNoopJob } from '../lib/noop-job.mjs';
import { MemoryStore } from '../lib/stores.mjs';

const n = argN();
let store;

await measure(async (sample) => {
  const score = noopScore(n);
  store = new MemoryStore();
  try {
    await runNoopJob(score, { store, sample });
  } finally {
    store.close();
  }
});
checkCheckpoint(store, n); // a MemoryStore stays readable after close()
