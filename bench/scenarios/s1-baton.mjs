// S1, baton: one score with a single fan-out entry of N no-op sheets on a function
// instrument, job concurrency 10. Times register → waitForCompletion → shutdown.
import { argN, measure } from '../lib/measure.mjs';
import { Conductor, defineScore } from '../lib/baton.mjs';

const n = argN();

await measure(async (sample) => {
  const score = defineScore({
    version: 1,
    name: 'bench',
    concurrency: 10,
    instruments: { noop: { kind: 'function', run: async () => ({ ok: true }) } },
    sheets: [{ id: 'noop', fan_out: n }],
  });
  sample();
  const conductor = new Conductor();
  const id = conductor.register(score);
  sample();
  const result = await conductor.waitForCompletion(id);
  sample();
  await conductor.shutdown();
  if (result.outcome !== 'completed') throw new Error(`job ended ${result.outcome}`);
  return { outcome: result.outcome };
});
