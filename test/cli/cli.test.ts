import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, scoreFile } from './run-cli.js';

const header = `version: 1
name: cli-test
instruments:
  sh: { kind: command, command: [bash, -c] }
`;

function expectOneLinePerProblem(stderr: string, expected: string[]): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toEqual(expected);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('baton validate: bad scores', () => {
  it('accepts a valid score', async () => {
    const r = await baton(['validate', scoreFile(`${header}sheets:\n  - { id: a, args: ["true"] }\n`)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('cli-test: valid (1 sheet, 1 instrument)\n');
  });

  it('reports a YAML syntax error with its line, no stack trace', async () => {
    const r = await baton(['validate', scoreFile(`${header}sheets:\n  - { id: a, args: ["true"\n`)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^line \d+, column \d+: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names an unknown field by its path', async () => {
    const r = await baton(['validate', scoreFile(`${header}sheets:\n  - { id: a, args: ["true"], retires: 2 }\n`)]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^sheets\[0\]\.retires: .*unknown field/);
  });

  it('names an unknown dependency by its path', async () => {
    const r = await baton([
      'validate',
      scoreFile(`${header}sheets:\n  - { id: fetch, args: ["true"] }\n  - { id: b, args: ["true"] }\n  - { id: c, depends_on: [fetchh], args: ["true"] }\n`),
    ]);
    expect(r.code).toBe(2);
    expectOneLinePerProblem(r.stderr, ['sheets[2].depends_on[0]: unknown sheet "fetchh"']);
  });

  it('names the ids on a dependency cycle', async () => {
    const r = await baton([
      'validate',
      scoreFile(`${header}sheets:\n  - { id: a, depends_on: [c], args: ["true"] }\n  - { id: b, depends_on: [a], args: ["true"] }\n  - { id: c, depends_on: [b], args: ["true"] }\n`),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cycle: (a → c → b → a|a → b → c → a|b → a → c → b|c → b → a → c)/);
  });

  it('rejects a duplicate id, including one made by a fan-out', async () => {
    const r = await baton([
      'validate',
      scoreFile(`${header}sheets:\n  - { id: x, fan_out: 2, args: ["true"] }\n  - { id: x.2, args: ["true"] }\n`),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^sheets\[1\]\.id: .*x\.2/);
  });

  it('rejects an unknown template name at load time', async () => {
    const r = await baton(['validate', scoreFile(`${header}sheets:\n  - { id: a, args: ["echo {{vars.nope}}"] }\n`)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sheets\[0\]\.args\[0\]: unknown template name "vars\.nope"/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reports every problem, one line each', async () => {
    const r = await baton([
      'validate',
      scoreFile(`${header}sheets:\n  - { id: a, depends_on: [zz], args: ["true"] }\n  - { id: b, instrument: nope, args: ["true"] }\n`),
    ]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.some((l) => l.startsWith('sheets[0].depends_on[0]: '))).toBe(true);
    expect(lines.some((l) => l.startsWith('sheets[1].instrument: '))).toBe(true);
  });

  it('gives a clear error for a missing file, and exit 2 for bad usage', async () => {
    const missing = await baton(['validate', '/nonexistent/score.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/score.yaml');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    expect((await baton(['run'])).code).toBe(2);
    expect((await baton(['dance'])).code).toBe(2);
    expect((await baton(['run', 'x.yaml', '--concurrency', 'zero'])).code).toBe(2);
  });
});

describe('baton run: exit statuses and output', () => {
  it('exits 0 when every sheet completed, and --json lists every sheet', async () => {
    const path = scoreFile(`${header}sheets:\n  - { id: a, args: ["echo hello"] }\n  - { id: b, depends_on: [a], fan_out: 2, args: ["cat {{deps.a.output_file}}"] }\n`);
    const r = await baton(['run', path, '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.outcome).toBe('completed');
    expect(summary.sheets.map((s: { id: string; state: string; attempts: number }) => [s.id, s.state, s.attempts])).toEqual([
      ['a', 'completed', 1],
      ['b.1', 'completed', 1],
      ['b.2', 'completed', 1],
    ]);
    expect(summary.sheets.every((s: { durationMs: number }) => typeof s.durationMs === 'number')).toBe(true);
    const out = join(dirname(path), '.baton/cli-test/sheets/b.1/1.stdout');
    expect(readFileSync(out, 'utf8')).toBe('hello\n');
  });

  it('exits 1 when a sheet failed, and its dependents are skipped', async () => {
    const r = await baton([
      'run',
      scoreFile(`${header}defaults: { retries: 1, backoff: { initial: 10ms } }\nsheets:\n  - { id: a, args: ["echo broken >&2; exit 3"] }\n  - { id: b, depends_on: [a], args: ["true"] }\n`),
      '--json',
    ]);
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(summary.sheets[0]).toMatchObject({ id: 'a', state: 'failed', attempts: 2, reason: 'failed' });
    expect(summary.sheets[0].error).toContain('exited with status 3: broken');
    expect(summary.sheets[1]).toMatchObject({ id: 'b', state: 'skipped', attempts: 0, reason: 'dependency' });
  });

  it('exits 3 when the job is held at a fermata', async () => {
    const r = await baton(['run', scoreFile(`${header}defaults: { retries: 0, escalate: true }\nsheets:\n  - { id: a, args: ["exit 1"] }\n`), '--quiet']);
    expect(r.code).toBe(3);
  });

  it('passes a template value with shell metacharacters as one literal argument', async () => {
    const victim = scoreFile('keep me', 'victim.txt');
    const path = scoreFile(
      `version: 1
name: literal
instruments:
  node: { kind: command, command: [node, -e, "require('fs').writeFileSync(process.env.BATON_WORKSPACE + '/argv.json', JSON.stringify(process.argv.slice(1)))"] }
sheets:
  - id: a
    vars: { evil: "x; rm -rf ${victim} $(touch pwned) \`id\`" }
    args: ["{{vars.evil}}", "second"]
`,
    );
    const r = await baton(['run', path, '--quiet']);
    expect(r.code).toBe(0);
    const argv = JSON.parse(readFileSync(join(dirname(path), '.baton/literal/argv.json'), 'utf8'));
    expect(argv).toEqual([`x; rm -rf ${victim} $(touch pwned) \`id\``, 'second']);
    expect(existsSync(victim)).toBe(true);
  });

  it('prints plain progress lines when not on a terminal', async () => {
    const r = await baton(['run', scoreFile(`${header}sheets:\n  - { id: a, args: ["true"] }\n`)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\] a started \(attempt 1, sh\)/);
    expect(r.stderr).toMatch(/\] a completed/);
    expect(r.stdout).toMatch(/cli-test: completed in/);
  });

  it('--concurrency overrides the score', async () => {
    const path = scoreFile(
      `${header}concurrency: 8\nsheets:\n  - { id: w, fan_out: 4, args: ["d={{workspace}}/live; mkdir -p $d; touch $d/{{sheet.id}}; n=$(ls $d | wc -l); echo $n >> {{workspace}}/peak; sleep 0.2; rm $d/{{sheet.id}}"] }\n`,
    );
    const r = await baton(['run', path, '--concurrency', '1', '--quiet']);
    expect(r.code).toBe(0);
    const peaks = readFileSync(join(dirname(path), '.baton/cli-test/peak'), 'utf8').trim().split('\n').map(Number);
    expect(Math.max(...peaks)).toBe(1);
  });
});
