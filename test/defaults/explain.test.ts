import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  explainSheet,
  parseDuration,
  parsePlatformDefaults,
  parseScore,
  SheetNotInScoreError,
  type SheetExplanation,
} from '../../src/index.js';
import { closeMatches, formatDuration } from '../../src/score/defaults/explain-text.js';
import { buildScore } from '../support/build-score.js';
import { score } from './helpers.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);
const FILE = '/etc/baton/defaults.yaml';

const loaded = parseScore(
  score(
    `  - id: fetch
    retries: 0
  - id: analyze
    fan_out: 3
    depends_on: [fetch]
    vars: { region: "eu west" }
    validations:
      - file_exists: "{{workspace}}/out-{{fan.index}}.txt"`,
    'defaults: { backoff: { initial: 500ms }, vars: { region: us } }',
    '  sh: { kind: command, command: [bash, -c], timeout: 90m, fallback: [claude], env: { LANG: C.UTF-8 } }',
  ),
  {
    baseDir: '/scores',
    defaults: parsePlatformDefaults('heal: true\ninstruments:\n  claude: { kind: command, command: [claude] }\n', { sourcePath: FILE }),
  },
);

const row = (e: SheetExplanation, setting: string) => {
  const found = e.settings.find((s) => s.setting === setting);
  if (found === undefined) throw new Error(`no setting ${setting} in ${e.settings.map((s) => s.setting).join(', ')}`);
  return { text: found.text, from: found.from, value: found.value };
};

describe('explainSheet', () => {
  it('gives every setting of a sheet, its value and where it came from', () => {
    const e = explainSheet(loaded, 'fetch');
    expect(e).toMatchObject({ sheet: 'fetch', entry: 'fetch', index: 0 });
    expect(e.member).toBeUndefined();
    expect(row(e, 'instrument')).toEqual({ text: 'sh', from: "the score's only instrument", value: 'sh' });
    expect(row(e, 'retries')).toEqual({ text: '0', from: 'sheet', value: 0 });
    expect(row(e, 'backoff.initial')).toEqual({ text: '500ms', from: 'score defaults', value: 500 });
    expect(row(e, 'backoff.max')).toEqual({ text: '5m', from: 'built-in', value: 300_000 });
    expect(row(e, 'heal')).toEqual({ text: 'true', from: `platform defaults (${FILE})`, value: true });
    expect(row(e, 'timeout')).toEqual({ text: '1h30m', from: 'instrument sh', value: 5_400_000 });
    expect(row(e, 'budget_usd')).toEqual({ text: 'none', from: 'built-in', value: null });
    expect(row(e, 'fallback')).toEqual({ text: 'claude', from: 'instrument sh', value: ['claude'] });
    expect(row(e, 'env.LANG')).toEqual({ text: '"C.UTF-8"', from: 'instrument sh', value: 'C.UTF-8' });
    expect(row(e, 'validations')).toEqual({ text: 'none', from: 'built-in', value: [] });
  });

  it('gives the prompt, its own or the defaults\', as one line of its start', () => {
    const prompted = parseScore(
      score(
        `  - id: own\n    prompt: "Fix the parser"\n  - id: inherited`,
        `defaults: { prompt: "${'Review this change line by line, '.repeat(3)}" }`,
        '  sh: { kind: command, command: [agent] }',
      ),
      { baseDir: '/scores' },
    );
    expect(row(explainSheet(prompted, 'own'), 'prompt')).toEqual({ text: '"Fix the parser"', from: 'sheet', value: 'Fix the parser' });
    const inherited = row(explainSheet(prompted, 'inherited'), 'prompt');
    expect(inherited.from).toBe('score defaults');
    expect(inherited.text).toBe('"Review this change line by line, Review this change line by …" (99 characters)');
    expect(row(explainSheet(loaded, 'fetch'), 'prompt')).toEqual({ text: 'none', from: 'built-in', value: null });
  });

  it('lists every setting a defaults block can hold', () => {
    const names = explainSheet(loaded, 'fetch').settings.map((s) => s.setting);
    for (const name of ['model', 'backoff.factor', 'backoff.jitter', 'on_dependency_failure', 'escalate', 'completion_attempts', 'prompt', 'vars.region']) {
      expect(names).toContain(name);
    }
  });

  it('explains one member of a fan-out, with the sheet’s own vars and validations', () => {
    const e = explainSheet(loaded, 'analyze.2');
    expect(e).toMatchObject({ sheet: 'analyze.2', entry: 'analyze', index: 1, member: 2, fanOut: 3 });
    expect(row(e, 'vars.region')).toEqual({ text: '"eu west"', from: 'sheet', value: 'eu west' });
    expect(row(e, 'validations[0]').from).toBe('sheet');
    expect(row(e, 'validations[0]').text).toBe('file_exists "{{workspace}}/out-{{fan.index}}.txt"');
  });

  it('explains a whole fan-out by its id', () => {
    const e = explainSheet(loaded, 'analyze');
    expect(e).toMatchObject({ sheet: 'analyze', entry: 'analyze', fanOut: 3 });
    expect(e.member).toBeUndefined();
  });

  it('names a platform instrument’s file', () => {
    const s = parseScore(score('  - { id: a, instrument: claude }'), {
      baseDir: '/scores',
      defaults: parsePlatformDefaults('instruments:\n  claude: { kind: command, command: [claude], timeout: 1m }\n', { sourcePath: FILE }),
    });
    expect(row(explainSheet(s, 'a'), 'timeout').from).toBe(`instrument claude of platform defaults (${FILE})`);
  });

  it('rejects an unknown id, listing close matches', () => {
    const error = (() => {
      try {
        explainSheet(loaded, 'analyse.2');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SheetNotInScoreError);
    expect((error as SheetNotInScoreError).closeMatches[0]).toBe('analyze.2');
    expect((error as Error).message).toMatch(/^score "t" has no sheet "analyse\.2" \(did you mean analyze\.2/);
  });

  it('rejects a member beyond the fan-out, and lists the sheets when nothing is close', () => {
    expect(() => explainSheet(loaded, 'analyze.4')).toThrow(/did you mean analyze/);
    expect(() => explainSheet(loaded, 'analyze.0')).toThrow(SheetNotInScoreError);
    expect(() => explainSheet(loaded, 'zzzzzzzzzzzz')).toThrow('score "t" has no sheet "zzzzzzzzzzzz" (its sheets: fetch, analyze)');
  });

  it('refuses a score built without the loader, which records no sources', () => {
    expect(() => explainSheet(buildScore({ stages: [{ id: 'a' }] }), 'a')).toThrow(/no setting sources/);
  });
});

describe('closeMatches', () => {
  it('finds typos and fan-out members, best first', () => {
    expect(closeMatches('fetc', ['fetch', 'report', 'analyze'])).toEqual(['fetch']);
    expect(closeMatches('x', ['x.1', 'x.2', 'y'])).toEqual(['x.1', 'x.2', 'y']);
    expect(closeMatches('qqqqqqqq', ['fetch', 'report'])).toEqual([]);
  });
});

describe('formatDuration', () => {
  it('writes durations as the score file does', () => {
    expect([0, 500, 1000, 1500, 90_000, 300_000, 5_400_000].map(formatDuration)).toEqual(['0s', '500ms', '1s', '1s500ms', '1m30s', '5m', '1h30m']);
  });

  test.prop([fc.integer({ min: 0, max: 10 * 86_400_000 })], { numRuns: RUNS })('reads back as the same number of milliseconds', (ms) => {
    expect(parseDuration(formatDuration(ms), 'x')).toBe(ms);
  });
});
