// S1, the bare XState floor: N actors of a 5-state machine (a → b → c → d → e, final at e),
// each created, started and moved through its 4 transitions. All N stay referenced until
// the end, as a runtime holding N sheets would. No scheduling, no I/O, nothing else.
import { createActor, createMachine } from 'xstate';
import { argN, measure } from '../lib/measure.mjs';

const n = argN();
const machine = createMachine({
  id: 'floor',
  initial: 'a',
  states: {
    a: { on: { NEXT: 'b' } },
    b: { on: { NEXT: 'c' } },
    c: { on: { NEXT: 'd' } },
    d: { on: { NEXT: 'e' } },
    e: { type: 'final' },
  },
});
const NEXT = { type: 'NEXT' };

await measure(async (sample) => {
  const actors = new Array(n);
  for (let i = 0; i < n; i++) {
    const actor = createActor(machine);
    actor.start();
    actors[i] = actor;
  }
  sample();
  let done = 0;
  for (let i = 0; i < n; i++) {
    const actor = actors[i];
    actor.send(NEXT);
    actor.send(NEXT);
    actor.send(NEXT);
    actor.send(NEXT);
    if (actor.getSnapshot().status === 'done') done++;
  }
  sample();
  if (done !== n) throw new Error(`${n - done} actors did not reach the final state`);
});
