import * as path from 'node:path';
import type { PlatformDefaults } from './load.js';
import type { SettingLayer } from './resolve.js';
import type { SheetSettingsData } from './schema.js';
import { formatPath, type ScoreProblem } from '../errors.js';
import { compileInstruments } from '../instruments.js';
import type { InstrumentData, ScoreData } from '../schema.js';
import type { InstrumentSpec } from '../types.js';

/**
 * Compiles the score's instruments together with the platform's. A score instrument
 * replaces a platform instrument of the same name whole: merging field by field would give
 * an instrument neither file describes. Platform instruments carry `definedIn`, and their
 * problems are reported in the platform file.
 */
export function compileAllInstruments(
  own: ScoreData['instruments'],
  baseDir: string,
  platform: PlatformDefaults | undefined,
  problems: ScoreProblem[],
): Record<string, InstrumentSpec> {
  if (platform === undefined) return compileInstruments(own, baseDir, problems);
  const fromPlatform: Record<string, InstrumentData> = {};
  for (const [name, data] of Object.entries(platform.instruments)) {
    if (Object.hasOwn(own, name)) continue;
    // Module paths are relative to the platform file, not to the score.
    fromPlatform[name] =
      data.kind === 'function' && data.module !== undefined ? { ...data, module: path.resolve(platform.baseDir, data.module) } : data;
  }
  const found: ScoreProblem[] = [];
  const instruments = compileInstruments({ ...fromPlatform, ...own }, baseDir, found);
  for (const name of Object.keys(fromPlatform)) instruments[name]!.definedIn = platform.source;
  for (const problem of found) problems.push(attribute(problem, fromPlatform, platform.source));
  return instruments;
}

/** The layers of settings below a sheet's own: the score's `defaults:`, then the platform's. */
export function defaultLayers(own: SheetSettingsData | undefined, platform: PlatformDefaults | undefined): SettingLayer[] {
  const layers: SettingLayer[] = [{ source: { kind: 'score defaults' }, settings: own ?? {} }];
  if (platform !== undefined) layers.push({ source: { kind: 'platform defaults', file: platform.source }, settings: platform.settings });
  return layers;
}

function attribute(problem: ScoreProblem, fromPlatform: Record<string, InstrumentData>, source: string): ScoreProblem {
  for (const name of Object.keys(fromPlatform)) {
    const prefix = formatPath(['instruments', name]);
    const rest = problem.path.slice(prefix.length);
    if (problem.path.startsWith(prefix) && (rest === '' || rest.startsWith('.') || rest.startsWith('['))) {
      return { path: `${source}: ${problem.path}`, message: problem.message };
    }
  }
  return problem;
}
