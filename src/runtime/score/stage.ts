import type { BackoffPolicy } from '../../machines/types.js';
import { parseDuration } from './duration.js';
import type { ScoreProblem } from './errors.js';
import { unknownInstrument } from './instruments.js';
import type { ScoreData, SheetData } from './schema.js';
import type { InstrumentSpec, StageSpec } from './types.js';

/** Built-in sheet settings, used when neither the sheet nor `defaults:` sets one. */
export const SHEET_DEFAULTS = {
  retries: 3,
  backoff: { initial: 1, factor: 2, max: '5m', jitter: 0.1 },
  onDependencyFailure: 'skip',
  escalate: false,
  heal: false,
  completionAttempts: 5,
} as const;

type Defaults = NonNullable<ScoreData['defaults']>;

/**
 * Resolves the settings of one entry of `sheets:` (sheet > defaults > built-in). Its
 * templates and dependencies are filled in later, once every stage is known.
 */
export function resolveStage(
  sheet: SheetData,
  index: number,
  defaults: Defaults,
  instruments: Record<string, InstrumentSpec>,
  problems: ScoreProblem[],
): StageSpec {
  const at = `sheets[${index}]`;
  const instrument = resolveInstrument(sheet, at, defaults, instruments, problems);
  const spec = instrument === undefined ? undefined : instruments[instrument];
  const model = sheet.model ?? defaults.model;
  if (model !== undefined && spec !== undefined) {
    const models = Object.keys(spec.models);
    if (models.length > 0 && !Object.hasOwn(spec.models, model)) {
      problems.push({
        path: sheet.model !== undefined ? `${at}.model` : 'defaults.model',
        message: `unknown model "${model}" for instrument "${spec.name}" (models: ${models.join(', ')})`,
      });
    }
  }
  const timeout = sheet.timeout ?? defaults.timeout;
  const timeoutMs = timeout !== undefined ? parseDuration(timeout, `${at}.timeout`) : spec?.timeoutMs;
  const budgetUsd = sheet.budget_usd ?? defaults.budget_usd;
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...defaults.vars, ...sheet.vars })) vars[key] = String(value);
  return {
    id: sheet.id,
    index,
    ...(sheet.fan_out !== undefined && { fanOut: sheet.fan_out }),
    instrument: instrument ?? '',
    ...(model !== undefined && { model }),
    args: [],
    validations: [],
    retries: sheet.retries ?? defaults.retries ?? SHEET_DEFAULTS.retries,
    backoff: resolveBackoff(sheet.backoff, defaults.backoff, at),
    ...(timeoutMs !== undefined && { timeoutMs }),
    onDependencyFailure:
      sheet.on_dependency_failure ?? defaults.on_dependency_failure ?? SHEET_DEFAULTS.onDependencyFailure,
    escalate: sheet.escalate ?? defaults.escalate ?? SHEET_DEFAULTS.escalate,
    heal: sheet.heal ?? defaults.heal ?? SHEET_DEFAULTS.heal,
    completionAttempts: sheet.completion_attempts ?? defaults.completion_attempts ?? SHEET_DEFAULTS.completionAttempts,
    ...(budgetUsd !== undefined && { budgetUsd }),
    vars,
    dependsOn: [],
  };
}

function resolveInstrument(
  sheet: SheetData,
  at: string,
  defaults: Defaults,
  instruments: Record<string, InstrumentSpec>,
  problems: ScoreProblem[],
): string | undefined {
  if (sheet.instrument !== undefined) {
    if (Object.hasOwn(instruments, sheet.instrument)) return sheet.instrument;
    problems.push({ path: `${at}.instrument`, message: unknownInstrument(sheet.instrument, instruments) });
    return undefined;
  }
  if (defaults.instrument !== undefined) {
    // An unknown defaults.instrument is reported once, at defaults.instrument.
    return Object.hasOwn(instruments, defaults.instrument) ? defaults.instrument : undefined;
  }
  const names = Object.keys(instruments);
  if (names.length === 1) return names[0];
  // With no instruments at all, the one problem is reported at `instruments`.
  if (names.length > 1) {
    problems.push({
      path: `${at}.instrument`,
      message: `no instrument: set instrument on the sheet or in defaults (the score defines ${names.join(', ')})`,
    });
  }
  return undefined;
}

type BackoffData = SheetData['backoff'];

function resolveBackoff(sheet: BackoffData, defaults: BackoffData, at: string): BackoffPolicy {
  const builtIn = SHEET_DEFAULTS.backoff;
  return {
    initialMs: parseDuration(sheet?.initial ?? defaults?.initial ?? builtIn.initial, `${at}.backoff.initial`),
    factor: sheet?.factor ?? defaults?.factor ?? builtIn.factor,
    maxMs: parseDuration(sheet?.max ?? defaults?.max ?? builtIn.max, `${at}.backoff.max`),
    jitter: sheet?.jitter ?? defaults?.jitter ?? builtIn.jitter,
  };
}
