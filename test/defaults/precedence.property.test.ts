import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  definePlatformDefaults,
  defineScore,
  explainSheet,
  ScoreError,
  type PlatformDefaults,
  type Score,
  type ScoreInput,
} from '../../src/index.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);
const FILE = '/etc/baton/defaults.yaml';

const SCALARS = ['retries', 'on_dependency_failure', 'escalate', 'heal', 'completion_attempts', 'budget_usd', 'model'] as const;
const BUILT_IN: Record<(typeof SCALARS)[number], unknown> = {
  retries: 3,
  on_dependency_failure: 'skip',
  escalate: false,
  heal: false,
  completion_attempts: 5,
  budget_usd: undefined,
  model: undefined,
};
const STAGE_FIELD = {
  retries: 'retries',
  on_dependency_failure: 'onDependencyFailure',
  escalate: 'escalate',
  heal: 'heal',
  completion_attempts: 'completionAttempts',
  budget_usd: 'budgetUsd',
  model: 'model',
} as const;
const BACKOFF_BUILT_IN = { initial: 1000, factor: 2, max: 300_000, jitter: 0.1 };
const VAR_NAMES = ['a', 'b', 'c'];

type Layer = Record<string, unknown> & {
  backoff?: Record<string, number>;
  vars?: Record<string, string>;
  instrument?: string;
  timeout?: number;
};

const layerArb = (instrumentNames: string[]): fc.Arbitrary<Layer> =>
  fc.record(
    {
      instrument: fc.constantFrom(...instrumentNames),
      model: fc.constantFrom('m1', 'm2'),
      retries: fc.integer({ min: 0, max: 6 }),
      backoff: fc.record(
        { initial: fc.integer({ min: 0, max: 60 }), factor: fc.integer({ min: 1, max: 4 }), max: fc.integer({ min: 1, max: 600 }), jitter: fc.double({ min: 0, max: 1, noNaN: true }) },
        { requiredKeys: [] },
      ),
      timeout: fc.integer({ min: 1, max: 3600 }),
      on_dependency_failure: fc.constantFrom('skip', 'fail'),
      escalate: fc.boolean(),
      heal: fc.boolean(),
      completion_attempts: fc.integer({ min: 0, max: 6 }),
      budget_usd: fc.double({ min: 0, max: 10, noNaN: true }),
      vars: fc.dictionary(fc.constantFrom(...VAR_NAMES), fc.string({ maxLength: 4 })),
    },
    { requiredKeys: [] },
  );

/** Instruments by name, each with an optional timeout in seconds. */
const instrumentsArb = (names: string[]) =>
  fc.dictionary(fc.constantFrom(...names), fc.option(fc.integer({ min: 1, max: 3600 }), { nil: undefined }), { maxKeys: names.length });

const caseArb = fc
  .record({ own: instrumentsArb(['x', 'y']), platform: instrumentsArb(['y', 'z']) })
  .filter(({ own, platform }) => Object.keys({ ...platform, ...own }).length > 0)
  .chain(({ own, platform }) => {
    const names = Object.keys({ ...platform, ...own });
    return fc.record({
      own: fc.constant(own),
      platformInstruments: fc.constant(platform),
      sheet: layerArb(names),
      defaults: layerArb(names),
      platformSettings: layerArb(names),
    });
  });

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

const command = (timeout: number | undefined) => ({ kind: 'command' as const, command: ['true'], ...(timeout !== undefined && { timeout }) });

function build(c: Case, withPlatform: boolean): Score {
  const input = {
    version: 1,
    name: 'p',
    defaults: c.defaults,
    instruments: Object.fromEntries(Object.entries(c.own).map(([n, t]) => [n, command(t)])),
    sheets: [{ id: 's', ...c.sheet }],
  } as ScoreInput;
  const platform: PlatformDefaults = definePlatformDefaults(
    { ...c.platformSettings, instruments: Object.fromEntries(Object.entries(c.platformInstruments).map(([n, t]) => [n, command(t)])) },
    { source: FILE },
  );
  return defineScore(input, withPlatform ? { baseDir: '/scores', defaults: platform } : { baseDir: '/scores' });
}

/** The model of the rules, written as plainly as possible: the first of sheet, score defaults, platform. */
function expected<T>(c: Case, get: (layer: Layer) => T | undefined): { value: T | undefined; kind: string } {
  const layers: Array<[Layer, string]> = [
    [c.sheet, 'sheet'],
    [c.defaults, 'score defaults'],
    [c.platformSettings, 'platform defaults'],
  ];
  for (const [layer, kind] of layers) if (get(layer) !== undefined) return { value: get(layer), kind };
  return { value: undefined, kind: 'built-in' };
}

function expectedInstrument(c: Case): string | undefined {
  const own = Object.keys(c.own);
  const scoreSet = c.sheet.instrument ?? c.defaults.instrument ?? (own.length === 1 ? own[0] : undefined);
  if (scoreSet !== undefined) return scoreSet;
  const all = Object.keys({ ...c.platformInstruments, ...c.own });
  return c.platformSettings.instrument ?? (all.length === 1 ? all[0] : undefined);
}

function expectedTimeoutMs(c: Case, instrument: string): number | undefined {
  const scoreInstrument = Object.hasOwn(c.own, instrument);
  const instrumentTimeout = scoreInstrument ? c.own[instrument] : c.platformInstruments[instrument];
  const seconds =
    c.sheet.timeout ??
    c.defaults.timeout ??
    (scoreInstrument ? instrumentTimeout : undefined) ??
    c.platformSettings.timeout ??
    instrumentTimeout;
  return seconds === undefined ? undefined : seconds * 1000;
}

describe('defaults precedence', () => {
  test.prop([caseArb], { numRuns: RUNS })(
    'every setting is the sheet’s if set, else the score defaults’, else the platform’s, else built-in',
    (c) => {
      const instrument = expectedInstrument(c);
      if (instrument === undefined) {
        expect(() => build(c, true)).toThrow(ScoreError);
        return;
      }
      const stage = build(c, true).stages[0]!;
      expect(stage.instrument).toBe(instrument);
      for (const key of SCALARS) {
        const want = expected(c, (l) => l[key]);
        expect(stage[STAGE_FIELD[key]], key).toEqual(want.value ?? BUILT_IN[key]);
        expect(stage.sources![key]!.kind, key).toBe(want.kind);
      }
      for (const field of ['initial', 'factor', 'max', 'jitter'] as const) {
        const want = expected(c, (l) => l.backoff?.[field]);
        const scale = field === 'initial' || field === 'max' ? 1000 : 1;
        const value = want.value === undefined ? BACKOFF_BUILT_IN[field] : want.value * scale;
        const got = { initial: stage.backoff.initialMs, factor: stage.backoff.factor, max: stage.backoff.maxMs, jitter: stage.backoff.jitter }[field];
        expect(got, `backoff.${field}`).toBe(value);
        expect(stage.sources![`backoff.${field}`]!.kind).toBe(want.kind);
      }
      for (const name of VAR_NAMES) {
        const want = expected(c, (l) => l.vars?.[name]);
        expect(stage.vars[name], `vars.${name}`).toBe(want.value);
        if (want.value !== undefined) expect(stage.sources![`vars.${name}`]!.kind).toBe(want.kind);
      }
      expect(stage.timeoutMs).toBe(expectedTimeoutMs(c, instrument));
    },
  );

  test.prop([caseArb], { numRuns: RUNS })('a platform default never overrides a value the score set', (c) => {
    let alone: Score;
    try {
      alone = build(c, false);
    } catch {
      // Without the platform the score is incomplete (it names a platform instrument): nothing to compare.
      return;
    }
    const withPlatform = new Map(explainSheet(build(c, true), 's').settings.map((s) => [s.setting, s]));
    for (const setting of explainSheet(alone, 's').settings) {
      if (setting.source.kind === 'built-in') continue;
      const after = withPlatform.get(setting.setting);
      expect(after?.value, setting.setting).toEqual(setting.value);
      expect(after?.source, setting.setting).toEqual(setting.source);
    }
  });
});
