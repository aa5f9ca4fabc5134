// S8: N function sheets of 10 ms each at job concurrency 5, timed from register to the
// job's end as a quick subscriber hears of it, with or without another events$ subscriber
// that holds the event loop for 20 ms on every event. (`waitForCompletion` would wait for
// the slow subscriber to catch up, which is what it promises, not what S8 measures.) The
// process exits once the job is timed, without waiting for the subscriber's backlog.
import { Conductor, defineScore } from './baton.mjs';
import { measure } from './measure.mjs';

const SHEET_MS = 10;
const SUBSCRIBER_MS_PER_EVENT = 20;

function busy(ms) {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a subscriber that does synchronous work on every event
  }
}

export async function runSlowSubscriberJob(n, { slowSubscriber }) {
  const score = defineScore({
    version: 1,
    name: 'bench-slow-subscriber',
    concurrency: 5,
    instruments: {
      sleep: { kind: 'function', run: () => new Promise((resolve) => setTimeout(() => resolve({ ok: true }), SHEET_MS)) },
    },
    sheets: [{ id: 'sleep', fan_out: n }],
  });
  const conductor = new Conductor();
  let seen = 0;
  if (slowSubscriber) {
    conductor.events$.subscribe(() => {
      seen++;
      busy(SUBSCRIBER_MS_PER_EVENT);
    });
  }
  await measure(async () => {
    const ended = new Promise((resolve) => {
      conductor.events$.subscribe((event) => {
        if (event.type === 'job.completed' || event.type === 'job.failed') resolve(event.type);
      });
    });
    conductor.register(score);
    const end = await ended;
    if (end !== 'job.completed') throw new Error(`job ended with ${end}`);
    return { eventsSeenAtCompletion: seen };
  });
  process.exit(0);
}
