import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { newPathsProblem, repositoryPaths } from '../support/untouched-repository.js';

let root: string;
beforeEach(() => {
  root = makeTempDir('baton-untouched-');
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src/index.ts'), '');
  // What the developer had before the run: their own job's workspace.
  mkdirSync(join(root, '.baton/agent-review/sheets'), { recursive: true });
  writeFileSync(join(root, '.baton/agent-review/baton.db'), '');
});
afterEach(() => removeDir(root));

describe('the check that a test run writes nothing into the repository (vitest global setup)', () => {
  it('names a new empty folder inside one the developer already had, such as a job workspace .baton/pkg/', () => {
    const before = repositoryPaths(root);
    mkdirSync(join(root, '.baton/pkg'));
    expect(newPathsProblem(before, repositoryPaths(root))).toBe(
      'the test run wrote into the repository (tests write into os.tmpdir(), see test/support/temp-dir.ts):\n  .baton/pkg/',
    );
  });

  it('names a new folder once, not each file in it, and new files elsewhere', () => {
    const before = repositoryPaths(root);
    mkdirSync(join(root, 'scratch/deep'), { recursive: true });
    writeFileSync(join(root, 'scratch/deep/a.txt'), 'a');
    writeFileSync(join(root, 'src/left-behind.db'), '');
    expect(newPathsProblem(before, repositoryPaths(root))).toMatch(/:\n {2}scratch\/\n {2}src\/left-behind\.db$/);
  });

  it('accepts a file that was there before being rewritten, and anything in dist/, test-artifacts/, coverage/ or node_modules/', () => {
    const before = repositoryPaths(root);
    writeFileSync(join(root, '.baton/agent-review/baton.db'), 'rewritten');
    for (const dir of ['dist', 'test-artifacts', 'coverage', 'node_modules/x']) {
      mkdirSync(join(root, dir), { recursive: true });
      writeFileSync(join(root, dir, 'file'), '');
    }
    expect(newPathsProblem(before, repositoryPaths(root))).toBeUndefined();
  });
});
