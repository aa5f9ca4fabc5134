/**
 * README.md, "How it is built": the folders it lists are src/'s, in the order of the layers
 * that `npm run lint` (dependency-cruiser) enforces. The claims on the planner, the ready
 * window and the spawner helpers are backed by the tests cited in the readme-audit report.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Conductor, VirtualClock } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { ok, runToEnd, SimInstrument } from '../support/virtual-run.js';
import { flat, readmeSection, ROOT } from './readme.js';

const section = readmeSection('How it is built');
const listed = [...(/```\n([\s\S]*?)```/.exec(section)![1]!).matchAll(/src\/([a-z]+)\//g)].map((m) => m[1]!);

describe('README "How it is built"', () => {
  it('lists every folder of src/, and no other', () => {
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    expect([...listed].sort()).toEqual(folders.sort());
  });

  it('each folder imports only itself and the folders listed before it (observe, simulate, batches and testing not each other): the layers of .dependency-cruiser.cjs', () => {
    expect(flat(section)).toContain('Each folder imports only itself and the folders listed before it (observe, simulate, batches and testing not each other), with no import cycle, type-only imports included; `npm run lint` enforces both.');
    const config = readFileSync(join(ROOT, '.dependency-cruiser.cjs'), 'utf8');
    const layers = JSON.parse(/^const LAYERS = (\[.*\]);$/m.exec(config)![1]!.replace(/'/g, '"')) as string[][];
    expect(layers.flat()).toEqual(listed);
    expect(layers.find((layer) => layer.length > 1)).toEqual(['observe', 'simulate', 'batches', 'testing']);
    expect(config).toContain("to: { path: '^src/(observe|simulate|batches|testing)/', pathNot: '^src/$1/' }");
    expect(config).toMatch(/name: 'no-circular'[\s\S]*?to: \{ circular: true \}/);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts.lint).toContain('npm run lint:deps');
  });
});

/** The most sheets ready at once in a fan-out of `sheets` members at `concurrency`, under the default window. */
async function mostReady(concurrency: number, sheets: number): Promise<number> {
  const clock = new VirtualClock();
  const score = buildScore({ concurrency, instruments: { a: { concurrency } }, stages: [{ id: 'w', fanOut: sheets, instrument: 'a' }] });
  let jobId = '';
  let most = 0;
  const conductor = new Conductor({ clock });
  const a = new SimInstrument('a', clock, () => ({ durationMs: 10, outcome: ok }), {
    onStart() {
      if (jobId !== '') most = Math.max(most, conductor.status(jobId).counts.ready);
    },
  });
  jobId = conductor.register(score, { instruments: { a } });
  most = Math.max(most, conductor.status(jobId).counts.ready);
  expect((await runToEnd(conductor, clock, jobId)).counts.completed).toBe(sheets);
  await conductor.shutdown();
  return most;
}

describe('README "How it is built": the ready window', () => {
  it("by default four times the job's concurrency, between 32 and 1,000, per job and instrument", async () => {
    expect(flat(section)).toContain("(`readyWindow`, by default four times the job's concurrency, between 32 and 1,000, per job and instrument)");
    expect(await mostReady(10, 400)).toBe(40);
    expect(await mostReady(2, 200)).toBe(32);
    expect(await mostReady(300, 2000)).toBe(1000);
  });
});
