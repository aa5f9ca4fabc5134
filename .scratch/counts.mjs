import { Conductor, defineScore } from '../dist/index.js';
const n = 100000; let calls = 0; let c, id;
const score = defineScore({ version: 1, name: 'bench', concurrency: 10, instruments: { noop: { kind: 'function', run: async () => { if (++calls % 20000 === 0) { const s = c.status(id); console.log(calls, JSON.stringify(s.counts ?? s.sheets?.length)); } return { ok: true }; } } }, sheets: [{ id: 'noop', fan_out: n }] });
c = new Conductor(); id = c.register(score); await c.waitForCompletion(id); await c.shutdown();
