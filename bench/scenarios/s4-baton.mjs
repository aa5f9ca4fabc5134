// S4, real processes through baton: N sheets running `true` through the command instrument
// (no shell, own process group, stdout/stderr files per attempt; started by the spawner helpers,
// the default), concurrency 8, no store.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { argN, measure } from '../lib/measure.mjs';
import { Conductor, defineScore } from '../lib/baton.mjs';

const n = argN();
const workspace = mkdtempSync(path.join(os.tmpdir(), 'baton-bench-s4-'));
try {
  await measure(async (sample) => {
    const score = defineScore({
      version: 1,
      name: 'bench-s4',
      workspace,
      concurrency: 8,
      instruments: { sh: { kind: 'command', command: ['true'] } },
      sheets: [{ id: 'true', instrument: 'sh', fan_out: n }],
    });
    const conductor = new Conductor();
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);
    sample();
    await conductor.shutdown();
    if (result.outcome !== 'completed') throw new Error(`job ended ${result.outcome}`);
  });
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
