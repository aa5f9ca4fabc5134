// S6, layered DAG: L layers of 1,000 no-op sheets, each layer depending on the whole previous
// one through a fan-out dependency (1,000 × 1,000 member pairs per layer boundary, which
// baton must count per stage, never as edges). Function instrument, concurrency 10.
import { argN, measure } from '../lib/measure.mjs';
import { defineScore } from '../lib/baton.mjs';
import { runNoopJob } from '../lib/noop-job.mjs';

const WIDTH = 1_000;
const layers = argN();

await measure(async (sample) => {
  const score = defineScore({
    version: 1,
    name: 'bench-s6',
    concurrency: 10,
    instruments: { noop: { kind: 'function', run: async () => ({ ok: true }) } },
    sheets: Array.from({ length: layers }, (_, i) => ({
      id: `l${i}`,
      fan_out: WIDTH,
      ...(i > 0 ? { depends_on: [`l${i - 1}`] } : {}),
    })),
  });
  const result = await runNoopJob(score, { sample });
  if (result.counts.completed !== layers * WIDTH) throw new Error(`${result.counts.completed} completed, expected ${layers * WIDTH}`);
});
