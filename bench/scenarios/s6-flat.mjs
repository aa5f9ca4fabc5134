// S6, baseline: the same L × 1,000 no-op sheets as one flat fan-out with no dependencies
// (the S1 job at that size): what the layers may cost on top of the sheets themselves.
import { argN, measure } from '../lib/measure.mjs';
import { Conductor, defineScore } from '../lib/baton.mjs';

const WIDTH = 1_000;
const n = argN() * WIDTH;

await measure(async (sample) => {
  const score = defineScore({
    version: 1,
    name: 'bench-s6-flat',
    concurrency: 10,
    instruments: { noop: { kind: 'function', run: async () => ({ ok: true }) } },
    sheets: [{ id: 'flat', fan_out: n }],
  });
  sample();
  const conductor = new Conductor();
  const id = conductor.register(score);
  sample();
  const result = await conductor.waitForCompletion(id);
  sample();
  await conductor.shutdown();
  if (result.outcome !== 'completed') throw new Error(`job ended ${result.outcome}`);
});
