import { it } from 'vitest';
import { createCommandInstrument } from '../src/actors/command-instrument.js';
it('start latency', async () => {
  const sh = createCommandInstrument({ name: 'sh', command: ['true'] });
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    let started = 0;
    await sh.run({ jobId: 'j', sheetId: 's', attempt: 1, mode: 'normal', fan: { index: 1, count: 1 }, workspace: '/tmp/hs', vars: {}, deps: {}, args: [], outputPrefix: `/tmp/hs/o${i}` }, new AbortController().signal, { onStarted: () => { started = performance.now() - t; } });
    console.log('attempt', i, 'started after', started.toFixed(0), 'ms; ended after', (performance.now() - t).toFixed(0));
  }
});
