// S8: N function sheets of 10 ms each at job concurrency 5, timed from register to
// waitForCompletion, with or without an events$ subscriber that holds the event loop for
// 20 ms on every event. The process exits once the job is timed, without waiting for the
// subscriber's backlog.
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
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);
    if (result.outcome !== 'completed') throw new Error(`job ended ${result.outcome}`);
    return { eventsSeenAtCompletion: seen };
  });
  process.exit(0);
}
