import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton } from '../cli/run-cli.js';
import { makeTempDir } from '../support/temp-dir.js';
import { writeIn } from './helpers.js';

// The built CLI inherits this process's environment: each test sets BATON_DEFAULTS itself.
afterEach(() => {
  delete process.env.BATON_DEFAULTS;
});

const onClaude = `version: 1
name: plat
instruments: {}
sheets:
  - { id: greet, args: ["echo {{vars.greeting}} > {{workspace}}/greet.txt"] }
  - id: many
    fan_out: 2
    args: ["true"]
`;

const platformText = (greeting: string) => `retries: 0
heal: true
vars: { greeting: ${greeting} }
instruments:
  claude: { kind: command, command: [bash, -c] }
`;

function setup(greeting = 'hello'): { dir: string; score: string; defaults: string } {
  const dir = makeTempDir('baton-defaults-');
  return { dir, score: writeIn(dir, 'score.yaml', onClaude), defaults: writeIn(dir, 'defaults.yaml', platformText(greeting)) };
}

describe('baton validate --defaults', () => {
  it('makes platform instruments and settings available to the score', async () => {
    const { score, defaults } = setup();
    const without = await baton(['validate', score]);
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/^instruments: define at least one instrument/);
    const r = await baton(['validate', score, '--defaults', defaults]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('plat: valid (3 sheets, 1 instrument)\n');
  });

  it('reads BATON_DEFAULTS when --defaults is not given, and --defaults wins over it', async () => {
    const { dir, score, defaults } = setup();
    process.env.BATON_DEFAULTS = defaults;
    expect((await baton(['validate', score])).code).toBe(0);
    const other = writeIn(dir, 'other.yaml', 'retries: 4\ninstruments:\n  claude: { kind: command, command: [sh, -c] }\n');
    const r = await baton(['validate', score, '--defaults', other, '--explain', 'greet', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sheets\[0\]\.args\[0\]: unknown template name "vars\.greeting"/);
    process.env.BATON_DEFAULTS = other;
    const explained = await baton(['validate', score, '--defaults', defaults, '--explain', 'many', '--json']);
    expect(explained.code).toBe(0);
    const retries = JSON.parse(explained.stdout).settings.find((s: { setting: string }) => s.setting === 'retries');
    expect(retries).toMatchObject({ value: 0, source: { kind: 'platform defaults', file: defaults } });
  });

  it('ignores BATON_DEFAULTS with --no-defaults', async () => {
    const { score, defaults } = setup();
    process.env.BATON_DEFAULTS = defaults;
    const r = await baton(['validate', score, '--no-defaults']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/define at least one instrument/);
  });

  it('says which file could not be read and what named it', async () => {
    const { dir, score } = setup();
    const missing = path.join(dir, 'missing.yaml');
    const byFlag = await baton(['validate', score, '--defaults', missing]);
    expect(byFlag.code).toBe(2);
    expect(byFlag.stderr).toBe(`${missing}: platform defaults file not found (named by --defaults)\n`);
    process.env.BATON_DEFAULTS = missing;
    const byEnv = await baton(['validate', score]);
    expect(byEnv.code).toBe(2);
    expect(byEnv.stderr).toBe(`${missing}: platform defaults file not found (named by BATON_DEFAULTS)\n`);
  });

  it('reports a bad defaults file one line per problem, naming the file and the path', async () => {
    const { dir, score } = setup();
    const bad = writeIn(dir, 'bad.yaml', 'retries: many\nbackoff: { speed: 2 }\n');
    const r = await baton(['validate', score, '--defaults', bad]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n').sort();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${bad}: backoff.speed: unknown field "speed"`);
    expect(lines[1]).toMatch(new RegExp(`^${bad}: retries: expected (a number|an integer), got the string "many"$`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects an empty --defaults', async () => {
    const { score } = setup();
    const r = await baton(['validate', score, '--defaults', '']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected a file name/);
  });
});

describe('baton validate --explain', () => {
  it('prints each resolved setting of a sheet, aligned, with its source', async () => {
    const { score, defaults } = setup();
    const r = await baton(['validate', score, '--defaults', defaults, '--explain', 'many.2']);
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header).toBe('plat: many.2 (member 2 of fan-out many, sheets[1])');
    expect(rows).toContainEqual(expect.stringMatching(new RegExp(`^heal {2,}true {2,}\\(platform defaults \\(${defaults}\\)\\)$`)));
    expect(rows.find((line) => line.startsWith('retries '))).toMatch(/^retries\s+0\s+\(platform defaults \(.*\)\)$/);
    expect(rows.find((line) => line.startsWith('escalate '))).toMatch(/^escalate\s+false\s+\(built-in\)$/);
    expect(rows.find((line) => line.startsWith('instrument '))).toMatch(/\(the only instrument, of platform defaults \(.*\)\)$/);
    const columns = new Set(rows.map((line) => line.indexOf('(')));
    expect(columns.size).toBe(1);
  });

  it('explains a whole fan-out by its id', async () => {
    const { score, defaults } = setup();
    const r = await baton(['validate', score, '--defaults', defaults, '--explain', 'many']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('plat: many (fan-out of 2, every member alike, sheets[1])');
  });

  it('rejects an unknown sheet with exit 2, listing close matches', async () => {
    const { score, defaults } = setup();
    const r = await baton(['validate', score, '--defaults', defaults, '--explain', 'greeet']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('score "plat" has no sheet "greeet" (did you mean greet?)\n');
  });
});

describe('run, decide, status and resume with platform defaults', () => {
  it('resume takes a changed platform default like a score change', async () => {
    const { dir, score, defaults } = setup();
    writeFileSync(defaults, `escalate: true\n${platformText('bad')}`);
    const failing = onClaude.replace('echo {{vars.greeting}} >', 'test {{vars.greeting}} = good && echo {{vars.greeting}} >');
    writeFileSync(score, failing);
    const run = await baton(['run', score, '--quiet', '--defaults', defaults]);
    expect(run.code).toBe(3);
    const status = await baton(['status', score, '--json', '--defaults', defaults]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).sheets.find((s: { id: string }) => s.id === 'greet').state).toBe('fermata');

    writeFileSync(defaults, `escalate: true\n${platformText('good')}`);
    expect((await baton(['decide', score, 'greet', 'retry', '--defaults', defaults])).code).toBe(0);
    const resumed = await baton(['resume', score, '--quiet', '--defaults', defaults]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(readFileSync(path.join(dir, '.baton/plat/greet.txt'), 'utf8')).toBe('good\n');
  });
});
