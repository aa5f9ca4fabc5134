// Shared by every child process of the benchmark: runs one piece of work, measures it and
// prints one JSON line `{ ms, peakHeapMB, maxRssMB, ...extra }` on stdout.
//
// - ms: wall time of the work only (performance.now around it; process start-up, imports
//   and setup outside `work` are excluded).
// - peakHeapMB: the highest V8 heapUsed seen by a 5 ms sampler, by explicit `sample()`
//   calls from the work, and at the end (before anything is released).
// - maxRssMB: process.resourceUsage().maxRSS, the peak resident set of the whole process.

const MB = 1024 * 1024;
const SAMPLE_EVERY_MS = 5;

/** The first positional argument as a positive integer (the scenario's N). */
export function argN() {
  const n = Number(process.argv[2]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`usage: node ${process.argv[1]} N\n`);
    process.exit(2);
  }
  return n;
}

/**
 * Measures `work(sample)`. `sample()` records the current heap; call it from synchronous
 * stretches of the work, where the timer cannot fire. `work` may return extra fields
 * (an object) to add to the printed line.
 */
export async function measure(work) {
  if (typeof globalThis.gc === 'function') globalThis.gc();
  let peak = process.memoryUsage().heapUsed;
  const sample = () => {
    const used = process.memoryUsage().heapUsed;
    if (used > peak) peak = used;
  };
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);
  sampler.unref();

  const start = performance.now();
  const extra = await work(sample);
  const ms = performance.now() - start;
  sample();
  clearInterval(sampler);

  const line = {
    ms: round(ms),
    peakHeapMB: round(peak / MB),
    maxRssMB: round(process.resourceUsage().maxRSS / 1024), // maxRSS is in KiB
    ...(extra !== null && typeof extra === 'object' ? extra : {}),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function round(x) {
  return Math.round(x * 100) / 100;
}
