import { Conductor, defineScore } from '../dist/index.js';
const n = Number(process.argv[2]); const w = Number(process.argv[3]);
const score = defineScore({ version: 1, name: 'bench', concurrency: 10, instruments: { noop: { kind: 'function', run: async () => ({ ok: true }) } }, sheets: [{ id: 'noop', fan_out: n }] });
const t = performance.now();
const c = new Conductor(w > 0 ? { readyWindow: w } : {});
const id = c.register(score); await c.waitForCompletion(id); await c.shutdown();
console.log('window', w, (performance.now() - t).toFixed(0), 'ms');
