import * as path from 'node:path';
import { parseDuration } from './duration.js';
import { throwIfProblems, type ScoreProblem } from './errors.js';
import { StageIndex, findCycles, resolveDependencies } from './graph.js';
import type { PlatformDefaults } from './defaults/load.js';
import { compileAllInstruments, defaultLayers } from './defaults/instruments.js';
import { unknownInstrument } from './instruments.js';
import type { ScoreData } from './schema.js';
import { resolveStage } from './stage.js';
import { checkSheetLimit } from './sheet-limit.js';
import { compileStageTemplates } from './stage-templates.js';
import { checkContextReaches, compileStageContext } from './stage-context.js';
import type { Score } from './types.js';

const SCORE_DEFAULTS = { concurrency: 10, pacing: 0, sequential: false } as const;

export interface CompileOptions {
  /** Folder that relative paths (workspace, modules) are resolved against. */
  baseDir: string;
  sourcePath?: string;
  /** Settings below the score's `defaults:`, and instruments its sheets may name. */
  platform?: PlatformDefaults;
}

/**
 * Turns a score that passed the schema into the `Score` the conductor runs: settings
 * resolved, instruments and dependencies checked, templates compiled. Throws a
 * `ScoreError` listing every problem.
 */
export function compileScore(data: ScoreData, options: CompileOptions): Score {
  const problems: ScoreProblem[] = [];
  const baseDir = path.resolve(options.baseDir);
  const instruments = compileAllInstruments(data.instruments, baseDir, options.platform, problems);
  if (Object.keys(instruments).length === 0) {
    problems.push({ path: 'instruments', message: 'define at least one instrument' });
  }
  const defaults = data.defaults ?? {};
  if (defaults.instrument !== undefined && !Object.hasOwn(instruments, defaults.instrument)) {
    problems.push({ path: 'defaults.instrument', message: unknownInstrument(defaults.instrument, instruments) });
  }

  checkSheetLimit(data.sheets, data.max_sheets, problems);
  const layers = defaultLayers(data.defaults, options.platform);
  const stages = data.sheets.map((sheet, i) => resolveStage(sheet, i, layers, instruments, problems));

  const entries = data.sheets.map((sheet) => ({
    id: sheet.id,
    ...(sheet.fan_out !== undefined && { fanOut: sheet.fan_out }),
    ...(sheet.depends_on !== undefined && { dependsOn: sheet.depends_on }),
  }));
  const index = StageIndex.build(entries, problems);
  const sequential = data.sequential ?? SCORE_DEFAULTS.sequential;
  const { refs, unresolved } = resolveDependencies(entries, index, sequential, problems);
  stages.forEach((stage, i) => (stage.dependsOn = refs[i]!));
  for (const cycle of findCycles(refs)) {
    problems.push({ path: 'sheets', message: `dependency cycle: ${cycle.map((i) => entries[i]!.id).join(' → ')}` });
  }

  data.sheets.forEach((sheet, i) => {
    const context = { stages, index, instruments, dependenciesUnresolved: unresolved[i]! };
    compileStageContext(sheet, stages[i]!, context, problems);
    compileStageTemplates(sheet, stages[i]!, context, problems);
    checkContextReaches(stages[i]!, context, problems);
  });

  throwIfProblems(problems);
  const workspace = data.workspace ?? path.join('.baton', data.name);
  return {
    version: 1,
    name: data.name,
    workspace: path.resolve(baseDir, workspace),
    concurrency: data.concurrency ?? SCORE_DEFAULTS.concurrency,
    ...(data.budget_usd !== undefined && { budgetUsd: data.budget_usd }),
    pacingMs: parseDuration(data.pacing ?? SCORE_DEFAULTS.pacing, 'pacing'),
    sequential,
    instruments,
    stages,
    sheetCount: stages.reduce((n, stage) => n + (stage.fanOut ?? 1), 0),
    ...(options.sourcePath !== undefined && { sourcePath: path.resolve(options.sourcePath) }),
  };
}
