import type { BackoffPolicy } from '../machines/types.js';
import { RATE_LIMIT_DEFAULTS } from '../score/rate-limit-defaults.js';
import type { FunctionInstrumentSpec, RateLimitSpec, Score, StageSpec, Template } from '../score/types.js';
import { SHEET_BUDGET_USD, type ResolvedSheetModelSettings } from './sheet-model-settings.js';

/** What the instruments of the sheet under test declare about their output, as your score would. */
export type InstrumentTraits = Partial<Pick<FunctionInstrumentSpec, 'rateLimit' | 'costPattern'>>;

export const UPSTREAM_SHEET = 'upstream';
export const SHEET_UNDER_TEST = 'sheet';
export const UPSTREAM_INSTRUMENT = 'upstream';

/** Files whose presence decides a successful attempt's validation pass rate. */
const NO_BACKOFF: BackoffPolicy = { initialMs: 0, factor: 1, maxMs: 0, jitter: 0 };

export const VALIDATION_FILES = ['validation-1', 'validation-2'] as const;

/** The sheet's instrument chain: the primary instrument, then its fallbacks in order. */
export function instrumentChain(settings: ResolvedSheetModelSettings): string[] {
  return ['primary', ...Array.from({ length: settings.fallbacks }, (_, i) => `fallback-${i + 1}`)];
}

/**
 * A two-sheet score: the sheet under test depends on an upstream sheet (whose ending is how
 * dependencies are met or fail) and has exactly the settings of the model.
 */
export function modelScore(settings: ResolvedSheetModelSettings, workspace: string, traits: InstrumentTraits): Score {
  const chain = instrumentChain(settings);
  const instruments: Record<string, FunctionInstrumentSpec> = {
    [UPSTREAM_INSTRUMENT]: functionInstrument(UPSTREAM_INSTRUMENT, [], {}),
  };
  const own = withLimitedRuns(traits, settings.maxLimitedRuns);
  chain.forEach((name, i) => (instruments[name] = functionInstrument(name, i === 0 ? chain.slice(1) : [], own)));
  const upstream: StageSpec = {
    ...stageDefaults(settings.backoff),
    id: UPSTREAM_SHEET,
    index: 0,
    instrument: UPSTREAM_INSTRUMENT,
    retries: 0,
    dependsOn: [],
  };
  const sheet: StageSpec = {
    ...stageDefaults(settings.backoff),
    id: SHEET_UNDER_TEST,
    index: 1,
    instrument: chain[0]!,
    retries: settings.retries,
    escalate: settings.escalate,
    heal: settings.heal,
    completionAttempts: settings.completionAttempts,
    onDependencyFailure: settings.onDependencyFailure,
    validations: settings.validations ? VALIDATION_FILES.map((file) => ({ kind: 'file_exists' as const, path: literal(file) })) : [],
    ...(settings.timeoutMs > 0 ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.budget ? { budgetUsd: SHEET_BUDGET_USD } : {}),
    dependsOn: [{ stage: 0 }],
  };
  return {
    version: 1,
    name: 'sheet-model',
    workspace,
    concurrency: 10,
    pacingMs: 0,
    sequential: false,
    instruments,
    stages: [upstream, sheet],
    sheetCount: 2,
  };
}

/** A one-sheet score whose only attempt fails on `instrument`, tripping its circuit breaker. */
export function trippingScore(instrument: string, workspace: string): Score {
  return {
    version: 1,
    name: 'sheet-model-circuit',
    workspace,
    concurrency: 1,
    pacingMs: 0,
    sequential: false,
    instruments: {
      [instrument]: {
        ...functionInstrument(instrument, [], {}),
        // Open after one failure and stay open for longer than any model path lasts.
        circuitBreaker: { failures: 1, cooldownMs: 30 * 24 * 3_600_000 },
      },
    },
    stages: [{ ...stageDefaults(NO_BACKOFF), id: 'trip', index: 0, instrument, retries: 0, dependsOn: [] }],
    sheetCount: 1,
  };
}

function functionInstrument(name: string, fallback: string[], traits: InstrumentTraits): FunctionInstrumentSpec {
  return { kind: 'function', name, export: 'default', models: {}, fallback, ...traits };
}

/** The traits with the model's `maxLimitedRuns` in their `rate_limit` (a bare one when they have none and it is not the default). */
function withLimitedRuns(traits: InstrumentTraits, maxLimitedRuns: number): InstrumentTraits {
  if (traits.rateLimit === undefined && maxLimitedRuns === RATE_LIMIT_DEFAULTS.maxLimitedRuns) return traits;
  const base: RateLimitSpec = traits.rateLimit ?? {
    patterns: [],
    streams: [],
    defaultWaitMs: RATE_LIMIT_DEFAULTS.defaultWaitMs,
    maxWaitMs: RATE_LIMIT_DEFAULTS.maxWaitMs,
    scope: 'instrument',
  };
  return { ...traits, rateLimit: { ...base, maxLimitedRuns } };
}

function stageDefaults(backoff: BackoffPolicy): Omit<StageSpec, 'id' | 'index' | 'instrument' | 'dependsOn'> {
  return {
    args: [],
    validations: [],
    retries: 0,
    backoff,
    onDependencyFailure: 'skip',
    escalate: false,
    heal: false,
    completionAttempts: 0,
    vars: {},
  };
}

function literal(text: string): Template {
  return { source: text, parts: [text] };
}
