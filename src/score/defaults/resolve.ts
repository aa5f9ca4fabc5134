/**
 * Sheet settings resolved with their provenance: sheet > score `defaults:` > platform
 * defaults > built-in. The compiler and `explainSheet` both read what this computes, so an
 * explanation can never disagree with what runs.
 */
import type { DependencyFailurePolicy } from '../../machines/types.js';
import type { SheetSettingsData } from './schema.js';
import { parseDuration } from '../duration.js';
import type { InstrumentSpec, SettingSource } from '../types.js';

/** A source of sheet settings; a list of layers is in precedence order, highest first. */
export interface SettingLayer {
  source: SettingSource;
  settings: SheetSettingsData;
}

export interface Sourced<T> {
  value: T;
  source: SettingSource;
}

/** The value of each sheet setting when no layer sets it (SCORE.md). */
export const BUILT_IN_SETTINGS = {
  retries: 3,
  backoff: { initial: 1, factor: 2, max: '5m', jitter: 0.1 },
  on_dependency_failure: 'skip',
  escalate: false,
  heal: false,
  completion_attempts: 5,
} as const;

/** Every setting of one sheet, resolved; durations in milliseconds. */
export interface ResolvedSettings {
  instrument: Sourced<string | undefined>;
  model: Sourced<string | undefined>;
  retries: Sourced<number>;
  backoff: {
    initialMs: Sourced<number>;
    factor: Sourced<number>;
    maxMs: Sourced<number>;
    jitter: Sourced<number>;
  };
  timeoutMs: Sourced<number | undefined>;
  onDependencyFailure: Sourced<DependencyFailurePolicy>;
  escalate: Sourced<boolean>;
  heal: Sourced<boolean>;
  completionAttempts: Sourced<number>;
  budgetUsd: Sourced<number | undefined>;
  vars: Record<string, Sourced<string>>;
  prompt: Sourced<string | undefined>;
}

const BUILT_IN: SettingSource = { kind: 'built-in' };

type Backoff = NonNullable<SheetSettingsData['backoff']>;

/**
 * Resolves the settings of one sheet from `layers` (its own settings first). `instruments`
 * is every instrument the sheet may name, platform ones carrying `definedIn`; `at` locates
 * the sheet for the rare duration that fails to parse.
 */
export function resolveSettings(
  layers: readonly SettingLayer[],
  instruments: Readonly<Record<string, InstrumentSpec>>,
  at: string,
): ResolvedSettings {
  const instrument = resolveInstrument(layers, instruments);
  const spec = instrument.value === undefined ? undefined : instruments[instrument.value];
  const pick = <K extends keyof SheetSettingsData>(key: K) => firstSet(layers, (s) => s[key]);
  const orBuiltIn = <T>(found: Sourced<T> | undefined, builtIn: T): Sourced<T> => found ?? { value: builtIn, source: BUILT_IN };
  const backoff = <F extends keyof Backoff>(field: F) => firstSet(layers, (s) => s.backoff?.[field]);
  const ms = (found: Sourced<number | string>, field: string): Sourced<number> => ({
    value: parseDuration(found.value, pathOf(found.source, field, at)),
    source: found.source,
  });
  const builtIn = BUILT_IN_SETTINGS;
  return {
    instrument,
    model: pick('model') ?? { value: undefined, source: BUILT_IN },
    retries: orBuiltIn(pick('retries'), builtIn.retries),
    backoff: {
      initialMs: ms(orBuiltIn(backoff('initial'), builtIn.backoff.initial), 'backoff.initial'),
      factor: orBuiltIn<number>(backoff('factor'), builtIn.backoff.factor),
      maxMs: ms(orBuiltIn(backoff('max'), builtIn.backoff.max), 'backoff.max'),
      jitter: orBuiltIn<number>(backoff('jitter'), builtIn.backoff.jitter),
    },
    timeoutMs: resolveTimeout(layers, spec, at),
    onDependencyFailure: orBuiltIn(pick('on_dependency_failure'), builtIn.on_dependency_failure),
    escalate: orBuiltIn(pick('escalate'), builtIn.escalate),
    heal: orBuiltIn(pick('heal'), builtIn.heal),
    completionAttempts: orBuiltIn(pick('completion_attempts'), builtIn.completion_attempts),
    budgetUsd: pick('budget_usd') ?? { value: undefined, source: BUILT_IN },
    vars: resolveVars(layers),
    prompt: pick('prompt') ?? { value: undefined, source: BUILT_IN },
  };
}

/** The path of a setting in the file its source names: `sheets[2].model`, `defaults.model`, `FILE: model`. */
export function pathOf(source: SettingSource, field: string, at: string): string {
  switch (source.kind) {
    case 'sheet':
      return `${at}.${field}`;
    case 'score defaults':
      return `defaults.${field}`;
    case 'platform defaults':
      return `${source.file}: ${field}`;
    default:
      return at;
  }
}

/** Where each setting of a sheet came from, by its name in the score file (`backoff.max`, `vars.region`). */
export function sourcesOf(resolved: ResolvedSettings): Record<string, SettingSource> {
  const sources: Record<string, SettingSource> = {
    instrument: resolved.instrument.source,
    model: resolved.model.source,
    retries: resolved.retries.source,
    'backoff.initial': resolved.backoff.initialMs.source,
    'backoff.factor': resolved.backoff.factor.source,
    'backoff.max': resolved.backoff.maxMs.source,
    'backoff.jitter': resolved.backoff.jitter.source,
    timeout: resolved.timeoutMs.source,
    on_dependency_failure: resolved.onDependencyFailure.source,
    escalate: resolved.escalate.source,
    heal: resolved.heal.source,
    completion_attempts: resolved.completionAttempts.source,
    budget_usd: resolved.budgetUsd.source,
    prompt: resolved.prompt.source,
  };
  for (const [name, v] of Object.entries(resolved.vars)) sources[`vars.${name}`] = v.source;
  return sources;
}

function firstSet<T>(layers: readonly SettingLayer[], get: (s: SheetSettingsData) => T): Sourced<NonNullable<T>> | undefined {
  for (const layer of layers) {
    const value = get(layer.settings);
    if (value !== undefined && value !== null) return { value, source: layer.source };
  }
  return undefined;
}

const isPlatform = (layer: SettingLayer) => layer.source.kind === 'platform defaults';

/**
 * When nothing of the score names an instrument and the score defines exactly one, that
 * one is the score's choice, so it ranks above platform defaults: a self-contained score
 * means the same with or without them. With none named anywhere, the only instrument there
 * is (score or platform) is used.
 */
function resolveInstrument(
  layers: readonly SettingLayer[],
  instruments: Readonly<Record<string, InstrumentSpec>>,
): Sourced<string | undefined> {
  const specs = Object.values(instruments);
  const own = specs.filter((s) => s.definedIn === undefined);
  const scoreOnly = own.length === 1 ? { value: own[0]!.name, source: { kind: 'only instrument' } as const } : undefined;
  for (const layer of layers) {
    if (isPlatform(layer) && scoreOnly !== undefined) return scoreOnly;
    if (layer.settings.instrument !== undefined) return { value: layer.settings.instrument, source: layer.source };
  }
  if (scoreOnly !== undefined) return scoreOnly;
  const only = specs.length === 1 ? specs[0]! : undefined;
  if (only?.definedIn !== undefined) return { value: only.name, source: { kind: 'only instrument', file: only.definedIn } };
  return { value: undefined, source: BUILT_IN };
}

/**
 * An instrument's own `timeout` counts as a default of the file that defines it, below that
 * file's `defaults: timeout`: a score instrument's timeout is a value the score set, which a
 * platform default never overrides.
 */
function resolveTimeout(layers: readonly SettingLayer[], spec: InstrumentSpec | undefined, at: string): Sourced<number | undefined> {
  const fromInstrument =
    spec?.timeoutMs === undefined
      ? undefined
      : {
          value: spec.timeoutMs,
          source: { kind: 'instrument', instrument: spec.name, ...(spec.definedIn !== undefined && { file: spec.definedIn }) } as const,
        };
  for (const layer of layers) {
    if (isPlatform(layer) && fromInstrument !== undefined && spec?.definedIn === undefined) return fromInstrument;
    const timeout = layer.settings.timeout;
    if (timeout !== undefined) return { value: parseDuration(timeout, pathOf(layer.source, 'timeout', at)), source: layer.source };
  }
  return fromInstrument ?? { value: undefined, source: BUILT_IN };
}

/** Vars merge key by key: a sheet's var hides the same var of the defaults below it. */
function resolveVars(layers: readonly SettingLayer[]): Record<string, Sourced<string>> {
  const vars: Record<string, Sourced<string>> = {};
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    for (const [key, value] of Object.entries(layer.settings.vars ?? {})) {
      vars[key] = { value: String(value), source: layer.source };
    }
  }
  return vars;
}
