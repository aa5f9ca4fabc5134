import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir } from './support/temp-dir.js';

const root = resolve(import.meta.dirname, '..');
// The scripts run in the repository (so that the package name resolves to it), and a job's
// workspace defaults to `.baton/<name>` under the working folder: give it one outside.
const workspace = makeTempDir('baton-package-');
afterAll(() => removeDir(workspace));

describe('the package', () => {
  it("resolves `import … from 'baton-runtime'` to the built package and runs a job through it", () => {
    const script = `
      import { Conductor, defineScore, planDispatch, sheetMachine, VirtualClock } from 'baton-runtime';
      const conductor = new Conductor();
      const score = defineScore({ version: 1, name: 'pkg', workspace: ${JSON.stringify(workspace)}, instruments: { f: { kind: 'function', run: async () => ({ ok: true }) } }, sheets: [{ id: 'a', fan_out: 3 }] });
      const id = conductor.register(score);
      const result = await conductor.waitForCompletion(id);
      await conductor.shutdown();
      console.log(JSON.stringify({ outcome: result.outcome, completed: result.counts.completed, machine: sheetMachine.id, plan: typeof planDispatch, clock: typeof VirtualClock }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ outcome: 'completed', completed: 3, machine: 'sheet', plan: 'function', clock: 'function' });
  });

  it("serves the model-based testing helpers from the `baton-runtime/testing` subpath, not from the main entry", () => {
    const script = `
      import * as main from 'baton-runtime';
      import { createSheetTestModel, createConductorSheetDriver, HeldInstrument } from 'baton-runtime/testing';
      const { model } = createSheetTestModel({ retries: 1 });
      console.log(JSON.stringify({
        paths: model.getShortestPaths().length > 0,
        driver: typeof createConductorSheetDriver,
        held: typeof HeldInstrument,
        inMain: ['createSheetTestModel', 'createConductorSheetDriver', 'HeldInstrument'].filter((name) => name in main),
      }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ paths: true, driver: 'function', held: 'function', inMain: [] });
  });

  it('is published as baton-runtime (the registry name `baton` is another package) with the command `baton`', async () => {
    const { default: manifest } = (await import('../package.json', { with: { type: 'json' } })) as {
      default: { name: string; bin: Record<string, string> };
    };
    expect(manifest.name).toBe('baton-runtime');
    expect(Object.keys(manifest.bin)).toEqual(['baton']);
  });
});
