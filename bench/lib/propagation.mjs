// S10: how long a rate limit takes to reach another conductor. Two conductors of one process,
// each with its own handle on the backend; one reports a limit N times, and each time the
// other's `rate_limit.active` is timed (SQLite: found by the 250 ms poll; Redis: announced
// on pub/sub, the poll as a fallback).
import { Conductor } from './baton.mjs';
import { RedisCoordination, sharedScore, SqliteCoordination, startRedis, tempFile } from './shared-job.mjs';

const round = (ms) => Math.round(ms * 10) / 10;

/** Median and max ms, over `n` reports, from one conductor's report to the other's `rate_limit.active`. */
export async function propagationDelays(kind, n) {
  const redis = kind === 'redis' ? await startRedis() : undefined;
  const file = tempFile('coordination.db');
  const open = () => (redis ? RedisCoordination.connect(redis.url) : new SqliteCoordination(file));
  const backends = [await open(), await open()];
  const [a, b] = backends.map((backend) => new Conductor({ coordination: { backend } }));
  // Registering a job tells each conductor the instrument and its identity.
  const jobs = [a, b].map((conductor) => conductor.register(sharedScore(1)));
  await Promise.all(jobs.map((id, i) => [a, b][i].waitForCompletion(id)));

  const delays = [];
  for (let i = 0; i < n; i++) {
    const seen = new Promise((resolve) => {
      const subscription = b.events$.subscribe((event) => {
        if (event.type === 'rate_limit.active') {
          subscription.unsubscribe();
          resolve(performance.now());
        }
      });
    });
    const reported = performance.now();
    a.rateLimits.report('noop', 60_000 + i * 1000, { jobId: jobs[0], sheetId: 'noop.1' });
    delays.push((await seen) - reported);
    a.rateLimits.clear('noop');
    // Until B has heard the clear too, its next limit would not be news.
    while (b.rateLimits.activeLimits().length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all([a.shutdown(), b.shutdown()]);
  await Promise.all(backends.map((backend) => backend.close()));
  redis?.stop();
  delays.sort((x, y) => x - y);
  return { median: round(delays[Math.floor(delays.length / 2)]), max: round(delays.at(-1)) };
}
