import { describe, expect, it } from 'vitest';
import { parsePlatformDefaults, parseScore, type Score } from '../../src/index.js';
import { score } from './helpers.js';

const FILE = '/etc/baton/defaults.yaml';
const platformSource = { kind: 'platform defaults', file: FILE };

function parse(text: string, platformText: string): Score {
  return parseScore(text, { baseDir: '/scores', defaults: parsePlatformDefaults(platformText, { sourcePath: FILE }) });
}

describe('sheet > score defaults > platform defaults > built-in', () => {
  const platformText = 'retries: 9\nheal: true\nescalate: true\ncompletion_attempts: 2\nbudget_usd: 1.5\non_dependency_failure: fail\n';

  it('takes each setting from the highest layer that sets it', () => {
    const s = parse(score('  - { id: a, retries: 1 }', 'defaults: { heal: false }'), platformText);
    const stage = s.stages[0]!;
    expect(stage).toMatchObject({ retries: 1, heal: false, escalate: true, completionAttempts: 2, budgetUsd: 1.5, onDependencyFailure: 'fail' });
    expect(stage.sources).toMatchObject({
      retries: { kind: 'sheet' },
      heal: { kind: 'score defaults' },
      escalate: platformSource,
      budget_usd: platformSource,
    });
  });

  it('falls back to the built-in values when no layer sets them', () => {
    const stage = parse(score('  - id: a'), '').stages[0]!;
    expect(stage).toMatchObject({ retries: 3, heal: false, completionAttempts: 5, onDependencyFailure: 'skip' });
    expect(stage.backoff).toEqual({ initialMs: 1000, factor: 2, maxMs: 300_000, jitter: 0.1 });
    expect(stage.sources!.retries).toEqual({ kind: 'built-in' });
    expect(stage.budgetUsd).toBeUndefined();
  });

  it('resolves backoff field by field', () => {
    const stage = parse(score('  - { id: a, backoff: { factor: 3 } }', 'defaults: { backoff: { max: 10s } }'), 'backoff: { initial: 2s, max: 1h }\n')
      .stages[0]!;
    expect(stage.backoff).toEqual({ initialMs: 2000, factor: 3, maxMs: 10_000, jitter: 0.1 });
    expect(stage.sources).toMatchObject({
      'backoff.initial': platformSource,
      'backoff.factor': { kind: 'sheet' },
      'backoff.max': { kind: 'score defaults' },
      'backoff.jitter': { kind: 'built-in' },
    });
  });

  it('merges vars name by name', () => {
    const stage = parse(score('  - { id: a, vars: { a: sheet } }', 'defaults: { vars: { a: score, b: score } }'), 'vars: { a: p, b: p, c: p }\n')
      .stages[0]!;
    expect(stage.vars).toEqual({ a: 'sheet', b: 'score', c: 'p' });
    expect(stage.sources).toMatchObject({ 'vars.a': { kind: 'sheet' }, 'vars.b': { kind: 'score defaults' }, 'vars.c': platformSource });
  });
});

describe('instrument choice with platform defaults', () => {
  const two = '  sh: { kind: command, command: [sh] }\n  py: { kind: command, command: [python3] }';
  const withClaude = 'instrument: claude\ninstruments:\n  claude: { kind: command, command: [claude] }\n';

  it('keeps the score’s only instrument over a platform default instrument: the score chose it', () => {
    const stage = parse(score('  - id: a'), withClaude).stages[0]!;
    expect(stage.instrument).toBe('sh');
    expect(stage.sources!.instrument).toEqual({ kind: 'only instrument' });
  });

  it('uses the platform default instrument when the score leaves the choice open', () => {
    const stage = parse(score('  - id: a', '', two), withClaude).stages[0]!;
    expect(stage.instrument).toBe('claude');
    expect(stage.sources!.instrument).toEqual(platformSource);
  });

  it('lets the score’s defaults.instrument win over the platform’s', () => {
    expect(parse(score('  - id: a', 'defaults: { instrument: py }', two), withClaude).stages[0]!.instrument).toBe('py');
  });
});

describe('timeout: an instrument’s own timeout belongs to the file that defines it', () => {
  it('a score instrument’s timeout wins over a platform default timeout', () => {
    const stage = parse(score('  - id: a', '', '  sh: { kind: command, command: [sh], timeout: 2m }'), 'timeout: 1h\n').stages[0]!;
    expect(stage.timeoutMs).toBe(120_000);
    expect(stage.sources!.timeout).toEqual({ kind: 'instrument', instrument: 'sh' });
  });

  it('the score’s defaults.timeout wins over its instrument’s timeout', () => {
    const text = score('  - id: a', 'defaults: { timeout: 5s }', '  sh: { kind: command, command: [sh], timeout: 2m }');
    expect(parse(text, 'timeout: 1h\n').stages[0]!.timeoutMs).toBe(5000);
  });

  it('a platform default timeout wins over a platform instrument’s timeout', () => {
    const platformText = 'timeout: 1h\ninstruments:\n  claude: { kind: command, command: [claude], timeout: 10m }\n';
    const stage = parse(score('  - { id: a, instrument: claude }'), platformText).stages[0]!;
    expect(stage.timeoutMs).toBe(3_600_000);
    expect(stage.sources!.timeout).toEqual(platformSource);
  });

  it('a platform instrument’s timeout applies when nothing else sets one', () => {
    const platformText = 'instruments:\n  claude: { kind: command, command: [claude], timeout: 10m }\n';
    const stage = parse(score('  - { id: a, instrument: claude }'), platformText).stages[0]!;
    expect(stage.timeoutMs).toBe(600_000);
    expect(stage.sources!.timeout).toEqual({ kind: 'instrument', instrument: 'claude', file: FILE });
  });
});
