import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  defineScore,
  loadScore,
  parseScore,
  ScoreError,
  type CommandInstrumentSpec,
  type FunctionInstrumentSpec,
} from '../../src/index.js';
import { renderTemplate } from '../../src/score/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { rejectionOf } from '../support/thrown.js';
import { BASE_DIR, parse, problemsOf, withSheets } from './helpers.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const FULL = path.join(FIXTURES, 'full-score.yaml');

const tmp = makeTempDir('baton-score-');
afterAll(() => removeDir(tmp));

function writeTmp(name: string, text: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

describe('the SCORE.md example', () => {
  const score = parseScore(readFileSync(FULL, 'utf8'), { baseDir: FIXTURES, sourcePath: FULL });

  it('keeps the top-level settings', () => {
    expect(score).toMatchObject({
      version: 1,
      name: 'nightly-review',
      workspace: path.join(FIXTURES, '.baton', 'nightly-review'),
      concurrency: 4,
      budgetUsd: 5,
      pacingMs: 0,
      sequential: false,
      sourcePath: FULL,
      sheetCount: 5,
    });
  });

  it('compiles the command instrument with every option', () => {
    const sh = score.instruments.sh as CommandInstrumentSpec;
    expect(sh).toMatchObject({
      name: 'sh',
      kind: 'command',
      command: ['bash', '-c'],
      concurrency: 2,
      env: { LANG: 'C.UTF-8' },
      models: { fast: { concurrency: 1 } },
      fallback: ['sh-slow'],
      circuitBreaker: { failures: 5, cooldownMs: 30_000 },
    });
    const rl = sh.rateLimit!;
    expect(rl.streams).toEqual(['stderr']);
    expect(rl.defaultWaitMs).toBe(60_000);
    expect(rl.maxWaitMs).toBe(3_600_000);
    expect(rl.patterns.some((p) => p.test('Rate-Limit exceeded'))).toBe(true);
    expect(rl.patterns.some((p) => p.test('HTTP 429 Too Many'))).toBe(true);
    expect(rl.patterns.some((p) => p.test('all good'))).toBe(false);
    expect(rl.retryAfter!.exec('Retry-After: 12')?.[1]).toBe('12');
    expect(sh.costPattern!.exec('done cost_usd=0.042')?.[1]).toBe('0.042');
  });

  it('resolves the function module next to the score file without importing it', () => {
    const js = score.instruments.js as FunctionInstrumentSpec;
    expect(js).toMatchObject({ kind: 'function', module: path.join(FIXTURES, 'tasks.mjs'), export: 'default' });
    expect(js.fn).toBeUndefined();
  });

  it('resolves every sheet setting from defaults', () => {
    const [fetch, analyze, report] = score.stages;
    for (const stage of score.stages) {
      expect(stage).toMatchObject({
        instrument: 'sh',
        retries: 3,
        backoff: { initialMs: 1000, factor: 2, maxMs: 300_000, jitter: 0.1 },
        timeoutMs: 1_800_000,
        onDependencyFailure: 'skip',
        escalate: false,
        heal: false,
        completionAttempts: 5,
        budgetUsd: 0.5,
        vars: {},
      });
    }
    expect(fetch).toMatchObject({ id: 'fetch', index: 0, dependsOn: [] });
    expect(fetch!.fanOut).toBeUndefined();
    expect(analyze).toMatchObject({ id: 'analyze', index: 1, fanOut: 3, model: 'fast', dependsOn: [{ stage: 0 }] });
    expect(report).toMatchObject({ id: 'report', index: 2, dependsOn: [{ stage: 1 }] });
  });

  it('compiles args and validations as templates', () => {
    const analyze = score.stages[1]!;
    const scope = {
      sheet: { id: 'analyze.2', attempt: 1, run: 1, mode: 'normal' },
      fan: { index: 2, count: 3 },
      workspace: '/ws',
      model: 'fast',
      vars: {},
      deps: { fetch: { output_file: '/ws/fetch.out' } },
    };
    expect(analyze.args.map((t) => renderTemplate(t, scope))).toEqual(['./analyze.sh', '2', '/ws/fetch.out']);
    const [exists, matches, succeeds] = analyze.validations;
    expect(exists!.kind).toBe('file_exists');
    expect(exists!.kind === 'file_exists' && renderTemplate(exists!.path, scope)).toBe('/ws/out-2.txt');
    expect(matches).toMatchObject({ kind: 'file_matches', pattern: '^OK' });
    expect(succeeds!.kind === 'command_succeeds' && succeeds!.argv.map((t) => renderTemplate(t, scope))).toEqual([
      'test',
      '-s',
      '/ws/out-2.txt',
    ]);
  });

  it('gives the same score when the file is JSON', () => {
    const json = JSON.stringify(parseYaml(readFileSync(FULL, 'utf8')));
    const fromJson = parseScore(json, { baseDir: FIXTURES, sourcePath: path.join(FIXTURES, 'full-score.json') });
    expect({ ...fromJson, sourcePath: undefined }).toEqual({ ...score, sourcePath: undefined });
  });
});

describe('built-in defaults', () => {
  const score = parse(withSheets('  - id: only'));
  const stage = score.stages[0]!;

  it('applies them when neither the sheet nor defaults set a value', () => {
    expect(score).toMatchObject({ concurrency: 10, pacingMs: 0, sequential: false, sheetCount: 1 });
    expect(score.budgetUsd).toBeUndefined();
    expect(score.workspace).toBe(path.join(BASE_DIR, '.baton', 'test'));
    expect(stage).toMatchObject({
      instrument: 'sh',
      retries: 3,
      backoff: { initialMs: 1000, factor: 2, maxMs: 300_000, jitter: 0.1 },
      onDependencyFailure: 'skip',
      escalate: false,
      heal: false,
      completionAttempts: 5,
      args: [],
      validations: [],
      vars: {},
      dependsOn: [],
    });
    expect(stage.timeoutMs).toBeUndefined();
    expect(stage.budgetUsd).toBeUndefined();
    expect(stage.model).toBeUndefined();
  });
});

describe('setting resolution', () => {
  const text = `version: 1
name: layers
workspace: ../out/ws
pacing: 250ms
defaults:
  instrument: b
  retries: 1
  backoff: { initial: 2s, max: 1m }
  timeout: 10m
  vars: { a: from-defaults, b: 2 }
instruments:
  a: { kind: command, command: [sh, -c], timeout: 45s }
  b: { kind: command, command: [sh, -c], timeout: 5s }
sheets:
  - id: inherits
  - id: overrides
    instrument: a
    retries: 0
    backoff: { factor: 3 }
    timeout: 90
    on_dependency_failure: fail
    escalate: true
    heal: true
    completion_attempts: 0
    budget_usd: 0.25
    vars: { b: mine, c: true }
`;
  const score = parse(text);
  const [inherits, overrides] = score.stages;

  it('prefers the sheet, then defaults, then the built-in value', () => {
    expect(inherits).toMatchObject({ instrument: 'b', retries: 1, timeoutMs: 600_000 });
    expect(overrides).toMatchObject({
      instrument: 'a',
      retries: 0,
      timeoutMs: 90_000,
      onDependencyFailure: 'fail',
      escalate: true,
      heal: true,
      completionAttempts: 0,
      budgetUsd: 0.25,
    });
  });

  it('merges backoff field by field', () => {
    expect(inherits!.backoff).toEqual({ initialMs: 2000, factor: 2, maxMs: 60_000, jitter: 0.1 });
    expect(overrides!.backoff).toEqual({ initialMs: 2000, factor: 3, maxMs: 60_000, jitter: 0.1 });
  });

  it('merges sheet vars over defaults vars, as text', () => {
    expect(inherits!.vars).toEqual({ a: 'from-defaults', b: '2' });
    expect(overrides!.vars).toEqual({ a: 'from-defaults', b: 'mine', c: 'true' });
  });

  it("falls back to the instrument's timeout", () => {
    const score = parse(withSheets('  - id: x', '').replace('command: [bash, -c] }', 'command: [bash, -c], timeout: 2m }'));
    expect(score.stages[0]!.timeoutMs).toBe(120_000);
  });

  it('resolves the workspace and pacing', () => {
    expect(score.workspace).toBe(path.resolve(BASE_DIR, '../out/ws'));
    expect(score.pacingMs).toBe(250);
  });

  it('turns numbers in argv lists into text', () => {
    const score = parse(withSheets('  - id: nap\n    args: [sleep, 1]'));
    expect(score.stages[0]!.args.map((t) => t.source)).toEqual(['sleep', '1']);
  });
});

describe('defineScore', () => {
  it('accepts a function given as run, and resolves paths against baseDir', () => {
    const run = async () => ({ ok: true });
    const score = defineScore(
      {
        version: 1,
        name: 'prog',
        instruments: { fn: { kind: 'function', run } },
        sheets: [{ id: 'a' }, { id: 'b', depends_on: ['a'], fan_out: 2 }],
      },
      { baseDir: '/somewhere' },
    );
    expect(score.instruments.fn).toMatchObject({ kind: 'function', fn: run, export: 'default' });
    expect(score.workspace).toBe('/somewhere/.baton/prog');
    expect(score.sheetCount).toBe(3);
  });

  it('defaults baseDir to the current folder', () => {
    const score = defineScore({
      version: 1,
      name: 'cwd',
      instruments: { sh: { kind: 'command', command: ['true'] } },
      sheets: [{ id: 'a' }],
    });
    expect(score.workspace).toBe(path.resolve('.baton/cwd'));
  });

  it('reports problems like a file does', () => {
    const problems = problemsOf(() =>
      defineScore({
        version: 1,
        name: 'bad',
        instruments: { fn: { kind: 'function' } },
        sheets: [{ id: 'a' }],
      }),
    );
    expect(problems).toEqual([{ path: 'instruments.fn.module', message: expect.stringMatching(/required/) }]);
  });
});

describe('loadScore', () => {
  it('imports the function module and sets fn to the export', async () => {
    const score = await loadScore(FULL);
    const js = score.instruments.js as FunctionInstrumentSpec;
    expect(typeof js.fn).toBe('function');
    const ctx = { sheet: { id: 'fetch' } } as Parameters<NonNullable<typeof js.fn>>[0];
    expect(await js.fn!(ctx)).toEqual({ ok: true, output: 'fetch' });
    expect(score.sourcePath).toBe(FULL);
  });

  it('reads .json files as JSON', async () => {
    const file = writeTmp(
      'score.json',
      JSON.stringify({ version: 1, name: 'j', instruments: { sh: { kind: 'command', command: ['true'] } }, sheets: [{ id: 'a' }] }),
    );
    const score = await loadScore(file);
    expect(score.name).toBe('j');
    expect(score.workspace).toBe(path.join(tmp, '.baton', 'j'));
  });

  it('reports a JSON syntax error with its line and column', async () => {
    const file = writeTmp('broken.json', '{\n  "version": 1,\n  "name" "x"\n}\n');
    const problems = await loadProblems(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('line 3, column 10');
    expect(problems[0]!.message).toMatch(/^invalid JSON/);
  });

  it('reports a missing file', async () => {
    const problems = await loadProblems(path.join(tmp, 'nope.yaml'));
    expect(problems).toEqual([{ path: '<file>', message: `score file not found: ${path.join(tmp, 'nope.yaml')}` }]);
  });

  const fnScore = (module: string, exportName?: string) => `version: 1
name: fns
instruments:
  js:
    kind: function
    module: ${module}
${exportName === undefined ? '' : `    export: ${exportName}\n`}sheets:
  - id: a
`;

  it('reports a missing module at instruments.NAME.module', async () => {
    const file = writeTmp('missing-module.yaml', fnScore('./absent.mjs'));
    const problems = await loadProblems(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('instruments.js.module');
    expect(problems[0]!.message).toContain(path.join(tmp, 'absent.mjs'));
  });

  it('reports a module that fails to load at instruments.NAME.module', async () => {
    writeTmp('throws.mjs', 'throw new Error("boom at import");\n');
    const problems = await loadProblems(writeTmp('throwing-module.yaml', fnScore('./throws.mjs')));
    expect(problems).toEqual([{ path: 'instruments.js.module', message: expect.stringContaining('boom at import') }]);
  });

  it('reports a missing export at instruments.NAME.export', async () => {
    writeTmp('tasks.mjs', 'export const other = () => ({ ok: true });\n');
    const problems = await loadProblems(writeTmp('missing-export.yaml', fnScore('./tasks.mjs', 'work')));
    expect(problems).toEqual([{ path: 'instruments.js.export', message: expect.stringMatching(/no export "work".*other/) }]);
  });

  it('reports an export that is not a function at instruments.NAME.export', async () => {
    const problems = await loadProblems(
      writeTmp('not-fn.yaml', fnScore(path.join(FIXTURES, 'tasks.mjs'), 'notAFunction')),
    );
    expect(problems).toEqual([{ path: 'instruments.js.export', message: expect.stringMatching(/not a function/) }]);
  });

  it('imports a named export', async () => {
    writeTmp('named.mjs', 'export const work = async () => ({ ok: true, output: "named" });\n');
    const score = await loadScore(writeTmp('named.yaml', fnScore('./named.mjs', 'work')));
    const js = score.instruments.js as FunctionInstrumentSpec;
    expect(await js.fn!({} as never)).toEqual({ ok: true, output: 'named' });
  });
});

async function loadProblems(file: string) {
  return (await rejectionOf(ScoreError, () => loadScore(file), 'expected loadScore to reject')).problems;
}
