import type { SettingSource } from '../types.js';
import { closeMatches, describeValidation, formatDuration, sourceLabel } from './explain-text.js';
import type { Score, StageSpec } from '../types.js';

/** One resolved setting of a sheet and where it came from. */
export interface ExplainedSetting {
  /** Its name in the score file: `retries`, `backoff.max`, `vars.region`, `env.LANG`, `validations[0]`. */
  setting: string;
  /** The resolved value as JSON: durations in milliseconds, `null` when unset. */
  value: string | number | boolean | string[] | null;
  /** The value as `baton validate --explain` prints it: durations as `30s`, unset as `none`. */
  text: string;
  source: SettingSource;
  /** `source` in words: `sheet`, `score defaults`, `platform defaults (FILE)`, `built-in`, `instrument sh`. */
  from: string;
}

export interface SheetExplanation {
  /** The id explained: a sheet, a fan-out member, or a fan-out (whose members share every setting). */
  sheet: string;
  /** The entry of `sheets:` it belongs to, and its index there. */
  entry: string;
  index: number;
  /** For a fan-out member, its number (1-based). */
  member?: number;
  /** For a fan-out or one of its members, how many members the fan-out has. */
  fanOut?: number;
  settings: ExplainedSetting[];
}

/** An id that names no sheet, fan-out or fan-out member of the score. */
export class SheetNotInScoreError extends Error {
  override readonly name = 'SheetNotInScoreError';
  constructor(
    readonly scoreName: string,
    readonly sheetId: string,
    /** The ids closest to `sheetId`, best first. */
    readonly closeMatches: string[],
    /** The ids of the score's `sheets:` entries, listed when nothing is close. */
    entries: readonly string[],
  ) {
    const more = entries.length > 10 ? ', …' : '';
    const hint =
      closeMatches.length > 0 ? `did you mean ${closeMatches.join(', ')}?` : `its sheets: ${entries.slice(0, 10).join(', ')}${more}`;
    super(`score "${scoreName}" has no sheet "${sheetId}" (${hint})`);
  }
}

/**
 * Every resolved setting of one sheet of a loaded score and where it came from (sheet,
 * score defaults, platform defaults, built-in, or its instrument). `id` may name a sheet, a
 * fan-out member (`analyze.2`) or a whole fan-out (`analyze`). Throws `SheetNotInScoreError`.
 */
export function explainSheet(score: Score, id: string): SheetExplanation {
  const found = findSheet(score, id);
  if (found === undefined) {
    const entries = score.stages.map((stage) => stage.id);
    throw new SheetNotInScoreError(score.name, id, closeMatches(id, allIds(score)), entries);
  }
  const { stage, member } = found;
  const sources = stage.sources;
  if (sources === undefined) {
    throw new Error(`sheet "${stage.id}" carries no setting sources: explain a score made by loadScore, parseScore or defineScore`);
  }
  const settings: ExplainedSetting[] = [];
  const add = (setting: string, value: ExplainedSetting['value'], text: string, source: SettingSource) =>
    settings.push({ setting, value, text, source, from: sourceLabel(source) });
  const sourced = (setting: string, value: ExplainedSetting['value'], text = value === null ? 'none' : String(value)) =>
    add(setting, value, text, sources[setting] ?? { kind: 'built-in' });
  const duration = (setting: string, ms: number | undefined) =>
    sourced(setting, ms ?? null, ms === undefined ? 'none' : formatDuration(ms));

  sourced('instrument', stage.instrument === '' ? null : stage.instrument);
  sourced('model', stage.model ?? null);
  sourced('retries', stage.retries);
  duration('backoff.initial', stage.backoff.initialMs);
  sourced('backoff.factor', stage.backoff.factor);
  duration('backoff.max', stage.backoff.maxMs);
  sourced('backoff.jitter', stage.backoff.jitter);
  duration('timeout', stage.timeoutMs);
  sourced('on_dependency_failure', stage.onDependencyFailure);
  sourced('escalate', stage.escalate);
  sourced('heal', stage.heal);
  sourced('completion_attempts', stage.completionAttempts);
  sourced('budget_usd', stage.budgetUsd ?? null);
  const prompt = stage.prompt?.source;
  // A prompt is often many lines long: one line of its start is enough to tell where it came from.
  sourced('prompt', prompt ?? null, prompt === undefined ? 'none' : oneLine(prompt));
  for (const [name, value] of Object.entries(stage.vars)) sourced(`vars.${name}`, value, JSON.stringify(value));
  if (stage.validations.length === 0) add('validations', [], 'none', { kind: 'built-in' });
  stage.validations.forEach((v, i) => {
    const text = describeValidation(v);
    add(`validations[${i}]`, text, text, { kind: 'sheet' });
  });

  const instrument = score.instruments[stage.instrument];
  if (instrument !== undefined) {
    const from: SettingSource = {
      kind: 'instrument',
      instrument: instrument.name,
      ...(instrument.definedIn !== undefined && { file: instrument.definedIn }),
    };
    add('fallback', [...instrument.fallback], instrument.fallback.length === 0 ? 'none' : instrument.fallback.join(', '), from);
    if (instrument.kind === 'command') {
      for (const [name, value] of Object.entries(instrument.env)) add(`env.${name}`, value, JSON.stringify(value), from);
    }
  }
  return {
    sheet: id,
    entry: stage.id,
    index: stage.index,
    ...(member !== undefined && { member }),
    ...(stage.fanOut !== undefined && { fanOut: stage.fanOut }),
    settings,
  };
}

function findSheet(score: Score, id: string): { stage: StageSpec; member?: number } | undefined {
  for (const stage of score.stages) {
    if (stage.id === id) return { stage };
    if (stage.fanOut === undefined || !id.startsWith(`${stage.id}.`)) continue;
    const rest = id.slice(stage.id.length + 1);
    const member = Number(rest);
    if (/^[1-9]\d*$/.test(rest) && member <= stage.fanOut) return { stage, member };
  }
  return undefined;
}

function allIds(score: Score): string[] {
  return score.stages.flatMap((stage) =>
    stage.fanOut === undefined ? [stage.id] : [stage.id, ...Array.from({ length: stage.fanOut }, (_, i) => `${stage.id}.${i + 1}`)],
  );
}

const PROMPT_SHOWN = 60;

/** A prompt's template as one quoted line, cut after its first `PROMPT_SHOWN` characters. */
function oneLine(text: string): string {
  const quoted = JSON.stringify(text.length > PROMPT_SHOWN ? text.slice(0, PROMPT_SHOWN) : text);
  return text.length > PROMPT_SHOWN ? `${quoted.slice(0, -1)}…" (${text.length} characters)` : quoted;
}
