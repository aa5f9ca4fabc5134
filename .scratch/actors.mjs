import { createActor, createMachine } from 'xstate';
import { sheetMachine } from '../dist/machines/sheet.js';
const input = { maxAttempts: 1, completionAttempts: 0, heal: false, escalate: false, fallbacks: 0, backoff: { kind: 'fixed', baseMs: 1000 } };
const mode = process.argv[2]; const n = 100000;
const host = createActor(createMachine({})); host.start();
const t = performance.now();
for (let i = 0; i < n; i++) {
  const a = mode === 'child' ? createActor(sheetMachine, { input, parent: host }) : createActor(sheetMachine, { input });
  a.start(); a.send({ type: 'DEPS_MET' }); a.send({ type: 'DISPATCH' }); a.send({ type: 'STARTED' });
  a.send({ type: 'SUCCEEDED', passRate: 1, at: 0, random: 0 });
  if (a.getSnapshot().value !== 'completed') throw new Error(a.getSnapshot().value);
}
console.log(mode, ((performance.now() - t) / n * 1000).toFixed(1), 'µs/sheet');
