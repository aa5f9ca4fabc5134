import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  definePlatformDefaults,
  loadPlatformDefaults,
  loadScore,
  parsePlatformDefaults,
  parseScore,
} from '../../src/index.js';
import { makeTempDir } from '../support/temp-dir.js';
import { problemsOf, score, writeIn } from './helpers.js';

const FILE = '/etc/baton/defaults.yaml';
const platform = (text: string) => parsePlatformDefaults(text, { sourcePath: FILE });
const parse = (text: string, defaults = platform('')) => parseScore(text, { baseDir: '/scores', defaults });

describe('platform defaults files', () => {
  it('hold the settings of a defaults block at their top level, plus instruments', () => {
    const p = platform('retries: 7\nbackoff: { max: 2m }\ninstruments:\n  claude: { kind: command, command: [claude, -p] }\n');
    expect(p.source).toBe(FILE);
    expect(p.settings).toEqual({ retries: 7, backoff: { max: '2m' } });
    expect(Object.keys(p.instruments)).toEqual(['claude']);
  });

  it('read JSON when the file ends in .json', async () => {
    const dir = makeTempDir('baton-defaults-');
    const file = writeIn(dir, 'defaults.json', '{ "heal": true }');
    expect((await loadPlatformDefaults(file)).settings).toEqual({ heal: true });
  });

  it('may be empty: no defaults at all', () => {
    expect(platform('').settings).toEqual({});
    expect(platform('# nothing yet\n').instruments).toEqual({});
  });

  it('name the file and the path of every problem', async () => {
    const problems = await problemsOf(() =>
      platform('retries: -1\nbackoff: { jitter: 2 }\ninstruments:\n  x: { kind: docker }\ncolour: red\n'),
    );
    expect(problems.map((p) => `${p.path}: ${p.message}`).sort()).toEqual(
      [
        `${FILE}: retries: must be at least 0`,
        `${FILE}: backoff.jitter: must be at most 1`,
        `${FILE}: instruments.x.kind: unknown kind "docker": expected "command" or "function"`,
        `${FILE}: colour: unknown field "colour"`,
      ].sort(),
    );
  });

  it('say how to write settings given in a defaults block by mistake', async () => {
    const [problem] = await problemsOf(() => platform('defaults: { retries: 3 }\n'));
    expect(problem!.path).toBe(`${FILE}: defaults`);
    expect(problem!.message).toMatch(/^unknown field "defaults": write the settings at the top level/);
  });

  it('name the file for a syntax error and for a document that is not a mapping', async () => {
    const [syntax] = await problemsOf(() => platform('retries: [1\n'));
    expect(syntax!.path).toMatch(new RegExp(`^${FILE}: line \\d+, column \\d+$`));
    const [list] = await problemsOf(() => platform('- 1\n'));
    expect(list).toEqual({ path: FILE, message: 'expected a mapping, got a list' });
  });

  it('say what named a file that cannot be read', async () => {
    const missing = path.join(makeTempDir('baton-defaults-'), 'nope.yaml');
    const [problem] = await problemsOf(() => loadPlatformDefaults(missing, { namedBy: 'BATON_DEFAULTS' }));
    expect(problem).toEqual({ path: missing, message: 'platform defaults file not found (named by BATON_DEFAULTS)' });
  });

  it('can be defined in a program, with a function instrument given as run', () => {
    const run = async () => ({ ok: true });
    const p = definePlatformDefaults({ retries: 1, instruments: { fn: { kind: 'function', run } } }, { source: 'ci' });
    const s = parse(score('  - { id: a, instrument: fn }'), p);
    expect(s.stages[0]!.retries).toBe(1);
    expect(s.instruments.fn).toMatchObject({ kind: 'function', fn: run, definedIn: 'ci' });
  });
});

describe('platform instruments', () => {
  const claude = platform('instruments:\n  claude: { kind: command, command: [claude, -p], timeout: 10m }\n  sh: { kind: command, command: [zsh, -c] }\n');

  it('are available to sheets that name them', () => {
    const s = parse(score('  - { id: a, instrument: claude }\n  - { id: b, instrument: sh }'), claude);
    expect(s.stages.map((st) => st.instrument)).toEqual(['claude', 'sh']);
    expect(s.instruments.claude).toMatchObject({ command: ['claude', '-p'], definedIn: FILE });
  });

  it('are replaced whole by a score instrument of the same name', () => {
    const s = parse(score('  - { id: a, instrument: sh }'), claude);
    expect(s.instruments.sh).toMatchObject({ command: ['bash', '-c'] });
    expect(s.instruments.sh!.definedIn).toBeUndefined();
  });

  it('let a score with no instruments of its own run on them', () => {
    const only = platform('instruments:\n  claude: { kind: command, command: [claude] }\n');
    const s = parse('version: 1\nname: t\ninstruments: {}\nsheets:\n  - id: a\n', only);
    expect(s.stages[0]!.instrument).toBe('claude');
    expect(s.stages[0]!.sources!.instrument).toEqual({ kind: 'only instrument', file: FILE });
  });

  it('resolve a function module relative to the platform file', async () => {
    const dir = makeTempDir('baton-defaults-');
    writeIn(dir, 'tasks.mjs', 'export default async () => ({ ok: true });\n');
    const defaults = writeIn(dir, 'defaults.yaml', 'instruments:\n  js: { kind: function, module: ./tasks.mjs }\n');
    const scoreFile = writeIn(makeTempDir('baton-defaults-'), 'score.yaml', score('  - { id: a, instrument: js }'));
    const s = await loadScore(scoreFile, { defaults });
    expect(s.instruments.js).toMatchObject({ module: path.join(dir, 'tasks.mjs') });
    expect(typeof (s.instruments.js as { fn?: unknown }).fn).toBe('function');
  });

  it('report a missing module in the platform file', async () => {
    const dir = makeTempDir('baton-defaults-');
    const defaults = writeIn(dir, 'defaults.yaml', 'instruments:\n  js: { kind: function, module: ./gone.mjs }\n');
    const scoreFile = writeIn(makeTempDir('baton-defaults-'), 'score.yaml', score('  - { id: a, instrument: js }'));
    const [problem] = await problemsOf(() => loadScore(scoreFile, { defaults }));
    expect(problem!.path).toBe(`${defaults}: instruments.js.module`);
  });

  it('report their own problems in the platform file, the score’s in the score', async () => {
    const bad = platform('instruments:\n  claude: { kind: command, command: [claude], fallback: [gpt] }\n');
    const problems = await problemsOf(() =>
      parse(score('  - { id: a, instrument: claude }', '', '  sh: { kind: command, command: [sh], fallback: [nope] }'), bad),
    );
    expect(problems.map((p) => p.path).sort()).toEqual([`${FILE}: instruments.claude.fallback[0]`, 'instruments.sh.fallback[0]']);
  });

  it('may be a fallback of a score instrument', () => {
    const s = parse(score('  - id: a', '', '  sh: { kind: command, command: [sh], fallback: [claude] }'), claude);
    expect(s.instruments.sh!.fallback).toEqual(['claude']);
  });
});

describe('platform settings that do not fit the score', () => {
  it('report an unknown default instrument in the platform file, only when a sheet falls back to it', async () => {
    const p = platform('instrument: claude\n');
    const two = '  sh: { kind: command, command: [sh] }\n  py: { kind: command, command: [python3] }';
    expect(() => parse(score('  - { id: a, instrument: sh }', '', two), p)).not.toThrow();
    const problems = await problemsOf(() => parse(score('  - id: a\n  - id: b', '', two), p));
    expect(problems).toEqual([{ path: `${FILE}: instrument`, message: 'unknown instrument "claude" (defined: sh, py)' }]);
  });

  it('report a model the chosen instrument does not have in the platform file', async () => {
    const p = platform('model: opus\n');
    const problems = await problemsOf(() =>
      parse(score('  - id: a\n  - id: b', '', '  sh: { kind: command, command: [sh], models: { fast: {} } }'), p),
    );
    expect(problems).toEqual([{ path: `${FILE}: model`, message: 'unknown model "opus" for instrument "sh" (models: fast)' }]);
  });
});
