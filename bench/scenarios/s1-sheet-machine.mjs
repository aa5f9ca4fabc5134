// S1, baton's own floor: N actors of the real sheet machine, each created, started and moved
// through the 4 transitions of a sheet that succeeds at once (DEPS_MET, DISPATCH, STARTED,
// SUCCEEDED), then dropped, as baton drops a finished sheet's actor. No conductor, no
// instrument, no scheduling: what the runtime costs beyond this is baton's overhead.
import { createActor } from 'xstate';
import { sheetMachine } from '../lib/baton.mjs';
import { argN, measure } from '../lib/measure.mjs';

const n = argN();
const input = {
  maxAttempts: 1,
  completionAttempts: 0,
  heal: false,
  escalate: false,
  fallbacks: 0,
  backoff: { initialMs: 1000, factor: 2, maxMs: 60_000, jitter: 0 },
};
const SUCCEEDED = { type: 'SUCCEEDED', passRate: 1, at: 0, random: 0 };

await measure(async () => {
  let done = 0;
  for (let i = 0; i < n; i++) {
    const actor = createActor(sheetMachine, { input, id: `bench/noop.${i}` });
    actor.start();
    actor.send({ type: 'DEPS_MET' });
    actor.send({ type: 'DISPATCH' });
    actor.send({ type: 'STARTED' });
    actor.send(SUCCEEDED);
    if (actor.getSnapshot().value === 'completed') done++;
  }
  if (done !== n) throw new Error(`${n - done} sheets did not complete`);
});
