/**
 * README.md, its opening (above "## A score"): the sheet states it names, and what its two
 * set-up commands do. The prerequisites are backed by test/package/readme-setup.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SHEET_STATES } from '../../src/index.js';
import { removeDir } from '../support/temp-dir.js';
import { copiedExamples, runExample } from './examples.js';
import { flat, readmeSection, ROOT } from './readme.js';

const opening = flat(readmeSection(null));
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

describe('README opening', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) removeDir(dir);
  });

  it('each sheet is an actor with explicit states: exactly the states of the sheet machine', () => {
    const listed = /with explicit states \(`([^`]+)`, with (.*?)\)\./.exec(opening);
    expect(listed, 'the sentence naming the states').not.toBeNull();
    const path = listed![1]!.split(' → ');
    const others = [...listed![2]!.matchAll(/`([a-z]+)`/g)].map((m) => m[1]!);
    expect([...path, ...others].sort()).toEqual([...SHEET_STATES].sort());
  });

  it('the first command installs and builds (npm ci runs `prepare`), the second builds and runs every test', () => {
    expect(opening).toContain('The first command installs, builds, and runs an agent-style score');
    expect(manifest.scripts.prepare).toBe('npm run build');
    expect(opening).toContain('The second builds and runs every test');
    expect(manifest.scripts.test).toBe('npm run build && vitest run');
  });

  it('the first command runs an agent-style score: examples/agent-review.yaml runs to its end as it is', async () => {
    const dir = copiedExamples();
    dirs.push(dir);
    const r = await runExample(dir, 'agent-review');
    const summary = JSON.parse(r.stdout) as { outcome: string; sheets: Array<{ id: string; state: string; attempts: number }> };
    // The fake CLI fails 15% of attempts at random and each sheet has 4: a sheet fails all of them once in about 2,000.
    const failed = summary.sheets.filter((sheet) => sheet.state === 'failed');
    if (r.code === 1) expect(failed.every((sheet) => sheet.attempts === 4), r.stderr).toBe(true);
    else expect(r.code, r.stderr).toBe(0);
    expect(summary.sheets.map((sheet) => sheet.id)).toEqual(['plan', 'review.1', 'review.2', 'review.3', 'review.4', 'review.5', 'review.6', 'summarize']);
  });
});
