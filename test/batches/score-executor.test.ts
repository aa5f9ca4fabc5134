import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchHaltError, BatchTimeoutError, dispatchBatches, loadScore, type Score } from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { resultValues } from './helpers.js';

const scoreYaml = (dir: string): string => `
version: 1
name: batch-score
workspace: ./ws
instruments:
  squares:
    kind: function
    module: ./squares.mjs
  broken:
    kind: function
    module: ./squares.mjs
    export: broken
  squares-cli:
    kind: command
    command: [node, ${JSON.stringify(join(dir, 'squares-cli.mjs'))}]  # run from the workspace
  sleepy-cli:
    kind: command
    command: [node, -e, "setTimeout(() => {}, 60000)"]
    timeout: 200ms
sheets:
  - id: unused
    instrument: squares
`;

// A function instrument: the batch arrives as JSON in ctx.vars.batch, results leave as output.
const FUNCTION_MODULE = `
export default async function squares(ctx) {
  const items = JSON.parse(ctx.vars.batch);
  return { ok: true, output: items.map((n) => ({ n, square: n * n, batch: ctx.sheet.fan.index })) };
}
export async function broken(ctx) {
  const items = JSON.parse(ctx.vars.batch);
  return items.includes(3) ? { ok: false, error: 'cannot square 3' } : { ok: true, output: items.slice(1) };
}
`;

// A command instrument: items in the file named by BATON_BATCH_FILE, results as a JSON array on stdout.
const COMMAND_SCRIPT = `
import { readFileSync } from 'node:fs';
const items = JSON.parse(readFileSync(process.env.BATON_BATCH_FILE, 'utf8'));
console.error('squaring', items.length);
process.stdout.write(JSON.stringify(items.map((n) => n * n)));
`;

let dir: string;
let score: Score;

beforeAll(async () => {
  dir = makeTempDir('baton-batches-');
  await writeFile(join(dir, 'score.yaml'), scoreYaml(dir));
  await writeFile(join(dir, 'squares.mjs'), FUNCTION_MODULE);
  await writeFile(join(dir, 'squares-cli.mjs'), COMMAND_SCRIPT);
  score = await loadScore(join(dir, 'score.yaml'));
});

afterAll(() => {
  removeDir(dir);
});

describe('a score instrument as the executor', () => {
  it('runs each batch as one attempt of a function instrument', async () => {
    const run = await dispatchBatches([1, 2, 3, 4, 5], { executor: { score, instrument: 'squares' }, strategy: { size: 2 } });
    expect(resultValues(run)).toEqual([
      { n: 1, square: 1, batch: 1 },
      { n: 2, square: 4, batch: 1 },
      { n: 3, square: 9, batch: 2 },
      { n: 4, square: 16, batch: 2 },
      { n: 5, square: 25, batch: 3 },
    ]);
  });

  it('turns a failed attempt or a short output into a failed batch', async () => {
    const run = await dispatchBatches([1, 2, 3, 4], {
      executor: { score, instrument: 'broken' },
      strategy: { size: 2 },
      onError: 'skip',
    });
    expect(run.skipped.map((b) => (b.error as Error).message)).toEqual([
      'batch 0: executor returned 1 result for 2 items',
      'instrument "broken": cannot square 3',
    ]);
  });

  it('runs each batch as a subprocess of a command instrument, items in BATON_BATCH_FILE', async () => {
    const run = await dispatchBatches([1, 2, 3], {
      executor: { score, instrument: 'squares-cli' },
      strategy: { size: 2 },
      runId: 'cli-run',
    });
    expect(resultValues(run)).toEqual([1, 4, 9]);
    const folder = join(score.workspace, 'batches', 'cli-run', '1');
    expect(JSON.parse(await readFile(join(folder, 'items.json'), 'utf8'))).toEqual([3]);
    expect(await readFile(join(folder, 'attempt-1.stderr'), 'utf8')).toBe('squaring 1\n');
  });

  it("applies the instrument's timeout and kills the attempt", async () => {
    const error = await dispatchBatches([1], { executor: { score, instrument: 'sleepy-cli' }, strategy: { size: 1 } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BatchHaltError);
    expect((error as BatchHaltError).cause).toBeInstanceOf(BatchTimeoutError);
  });

  it('names an instrument the score does not have', async () => {
    await expect(dispatchBatches([1], { executor: { score, instrument: 'nope' }, strategy: { size: 1 } })).rejects.toThrow(
      'batches: executor.instrument "nope" is not an instrument of score "batch-score" (it has: squares, broken, squares-cli, sleepy-cli)',
    );
  });
});
