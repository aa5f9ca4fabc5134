// S3, one dispatch decision: a job of N sheets, all behind one running sheet (`gate`, a
// function that does not return until the end). Each sample pauses the job, then times
// `resume()`, which returns only after the conductor has taken its dispatch decision
// (resume → inbox turn → the conductor actor's TURN → planDispatch). With N sheets pending
// and nothing dispatchable, the decision must cost what is eligible, not N.
// Prints the median and p99 in µs; `ms` is the median decision in ms, for the runner's table.
import { argN, measure } from '../lib/measure.mjs';
import { Conductor, defineScore } from '../lib/baton.mjs';

const n = argN();
const SAMPLES = 5_000;
const WARMUP = 500;

let open;
const gate = new Promise((resolve) => (open = resolve));
const score = defineScore({
  version: 1,
  name: 'bench-s3',
  concurrency: 10,
  instruments: { fn: { kind: 'function', run: async ({ sheet }) => (sheet.id === 'gate' ? gate : { ok: true }) } },
  sheets: [
    { id: 'gate', instrument: 'fn' },
    { id: 'rest', instrument: 'fn', fan_out: n, depends_on: ['gate'] },
  ],
});

await measure(async (sample) => {
  const conductor = new Conductor();
  const id = conductor.register(score);
  sample();
  const times = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    conductor.pause(id);
    const start = process.hrtime.bigint();
    conductor.resume(id);
    const ns = Number(process.hrtime.bigint() - start);
    if (i >= WARMUP) times.push(ns / 1000);
  }
  sample();
  const status = conductor.status(id);
  if (status.counts.running !== 1 || status.counts.pending !== n) {
    throw new Error(`expected 1 running and ${n} pending, got ${JSON.stringify(status.counts)}`);
  }
  conductor.cancel(id);
  open({ ok: true });
  await conductor.waitForCompletion(id);
  await conductor.shutdown();
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  // `ms` (the runner's column) is the median decision, not the whole run.
  return { ms: at(0.5) / 1000, decisionMedianUs: round(at(0.5)), decisionP99Us: round(at(0.99)), samples: SAMPLES };
}).then(() => {});

function round(x) {
  return Math.round(x * 100) / 100;
}
