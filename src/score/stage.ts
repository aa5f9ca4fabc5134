import { pathOf, resolveSettings, sourcesOf, type SettingLayer, type Sourced } from './defaults/resolve.js';
import type { ScoreProblem } from './errors.js';
import { unknownInstrument } from './instruments.js';
import type { SheetData } from './schema.js';
import type { InstrumentSpec, StageSpec } from './types.js';

/**
 * Resolves the settings of one entry of `sheets:` (sheet > `defaults`, the layers below the
 * sheet: the score's `defaults:`, then platform defaults > built-in) and records where each
 * came from. Its templates and dependencies are filled in later, once every stage is known.
 */
export function resolveStage(
  sheet: SheetData,
  index: number,
  defaults: readonly SettingLayer[],
  instruments: Record<string, InstrumentSpec>,
  problems: ScoreProblem[],
): StageSpec {
  const at = `sheets[${index}]`;
  const resolved = resolveSettings([{ source: { kind: 'sheet' }, settings: sheet }, ...defaults], instruments, at);
  const instrument = checkInstrument(resolved.instrument, at, instruments, problems);
  const spec = instrument === undefined ? undefined : instruments[instrument];
  const model = resolved.model.value;
  if (model !== undefined && spec !== undefined) {
    const models = Object.keys(spec.models);
    if (models.length > 0 && !Object.hasOwn(spec.models, model)) {
      problems.push({
        path: pathOf(resolved.model.source, 'model', at),
        message: `unknown model "${model}" for instrument "${spec.name}" (models: ${models.join(', ')})`,
      });
    }
  }
  const { backoff, timeoutMs, budgetUsd } = resolved;
  return {
    id: sheet.id,
    index,
    ...(sheet.fan_out !== undefined && { fanOut: sheet.fan_out }),
    instrument: instrument ?? '',
    ...(model !== undefined && { model }),
    args: [],
    // Compiled with the other templates, once every stage is known.
    ...(resolved.prompt.value !== undefined && { prompt: { source: resolved.prompt.value, parts: [resolved.prompt.value] } }),
    validations: [],
    retries: resolved.retries.value,
    backoff: {
      initialMs: backoff.initialMs.value,
      factor: backoff.factor.value,
      maxMs: backoff.maxMs.value,
      jitter: backoff.jitter.value,
    },
    ...(timeoutMs.value !== undefined && { timeoutMs: timeoutMs.value }),
    onDependencyFailure: resolved.onDependencyFailure.value,
    escalate: resolved.escalate.value,
    heal: resolved.heal.value,
    completionAttempts: resolved.completionAttempts.value,
    ...(budgetUsd.value !== undefined && { budgetUsd: budgetUsd.value }),
    vars: Object.fromEntries(Object.entries(resolved.vars).map(([name, v]) => [name, v.value])),
    dependsOn: [],
    sources: sourcesOf(resolved),
  };
}

function checkInstrument(
  chosen: Sourced<string | undefined>,
  at: string,
  instruments: Record<string, InstrumentSpec>,
  problems: ScoreProblem[],
): string | undefined {
  const name = chosen.value;
  if (name !== undefined) {
    if (Object.hasOwn(instruments, name)) return name;
    // An unknown `defaults.instrument` of the score is reported once, there, even if no sheet uses it.
    if (chosen.source.kind !== 'score defaults') {
      problems.push({ path: pathOf(chosen.source, 'instrument', at), message: unknownInstrument(name, instruments) });
    }
    return undefined;
  }
  const names = Object.keys(instruments);
  // With no instruments at all, the one problem is reported at `instruments`.
  if (names.length > 1) {
    problems.push({
      path: `${at}.instrument`,
      message: `no instrument: set instrument on the sheet or in defaults (defined: ${names.join(', ')})`,
    });
  }
  return undefined;
}
