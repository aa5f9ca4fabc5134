/**
 * README.md, "How it is built": the folders it lists are src/'s, in the order of the layers
 * that `npm run lint` (dependency-cruiser) enforces. The claims on the planner, the ready
 * window and the spawner helpers are backed by the tests cited in the readme-audit report.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fanOutPeaks } from './fan-out.js';
import { flat, readmeSection, ROOT } from './readme.js';

const section = readmeSection('How it is built');
const listed = [...(/```\n([\s\S]*?)```/.exec(section)![1]!).matchAll(/src\/([a-z]+)\//g)].map((m) => m[1]!);

describe('README "How it is built"', () => {
  it('lists every folder of src/, and no other', () => {
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    expect([...listed].sort()).toEqual(folders.sort());
  });

  it('each folder imports only itself and the folders listed before it (observe, simulate, batches, testing and cluster not each other): the layers of .dependency-cruiser.cjs', () => {
    expect(flat(section)).toContain('Each folder imports only itself and the folders listed before it (observe, simulate, batches, testing and cluster not each other), with no import cycle, type-only imports included; `npm run lint` enforces both.');
    const config = readFileSync(join(ROOT, '.dependency-cruiser.cjs'), 'utf8');
    const layers = JSON.parse(/^const LAYERS = (\[.*\]);$/m.exec(config)![1]!.replace(/'/g, '"')) as string[][];
    expect(layers.flat()).toEqual(listed);
    expect(layers.find((layer) => layer.length > 1)).toEqual(['observe', 'simulate', 'batches', 'testing', 'cluster']);
    expect(config).toContain("to: { path: '^src/(observe|simulate|batches|testing|cluster)/', pathNot: '^src/$1/' }");
    expect(config).toMatch(/name: 'no-circular'[\s\S]*?to: \{ circular: true \}/);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts.lint).toContain('npm run lint:deps');
  });
});

describe('README "How it is built": the ready window', () => {
  it("by default four times the job's concurrency, between 32 and 1,000, per job and instrument", async () => {
    expect(flat(section)).toContain("(`readyWindow`, by default four times the job's concurrency, between 32 and 1,000, per job and instrument)");
    expect((await fanOutPeaks(10, 400)).ready).toBe(40);
    expect((await fanOutPeaks(2, 200)).ready).toBe(32);
    expect((await fanOutPeaks(300, 2000)).ready).toBe(1000);
  });
});
