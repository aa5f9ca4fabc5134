import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';
import { formatPath } from './errors.js';
import type { Score } from './types.js';

/** Something about a score that may still work out when it runs; `validate` prints it and exits 0. */
export interface ScoreWarning {
  path: string;
  message: string;
}

/**
 * Programs of the command instruments the sheets use (fallbacks included) that cannot be
 * started now: not found on the PATH an attempt gets, or not an executable file. Resolved
 * as an attempt resolves them: a name without a slash on `PATH` (the instrument's `env`
 * may set it), a path against the workspace, the attempt's working folder. Only a warning:
 * an earlier sheet may install or build the program.
 */
export function programWarnings(score: Score): ScoreWarning[] {
  const warnings: ScoreWarning[] = [];
  for (const name of instrumentsInUse(score)) {
    const spec = score.instruments[name];
    if (spec?.kind !== 'command') continue;
    const program = spec.command[0];
    if (program === undefined || program === '') continue;
    const problem = programProblem(program, score.workspace, spec.env.PATH ?? process.env.PATH ?? '');
    if (problem === undefined) continue;
    const at = formatPath(['instruments', name, 'command', 0]);
    warnings.push({ path: spec.definedIn === undefined ? at : `${spec.definedIn}: ${at}`, message: problem });
  }
  return warnings;
}

function instrumentsInUse(score: Score): Set<string> {
  const used = new Set<string>();
  const add = (name: string): void => {
    if (used.has(name)) return;
    used.add(name);
    for (const next of score.instruments[name]?.fallback ?? []) add(next);
  };
  for (const stage of score.stages) add(stage.instrument);
  return used;
}

function programProblem(program: string, workspace: string, searchPath: string): string | undefined {
  const later = 'an earlier sheet may still create it';
  if (program.includes('/')) {
    const file = path.resolve(workspace, program);
    const kind = fileKind(file);
    if (kind === 'missing') return `program "${program}" not found (looked for ${file}); ${later}`;
    if (kind !== 'executable') return `program "${program}" is not an executable file (${file})`;
    return undefined;
  }
  let found: string | undefined;
  for (const folder of searchPath.split(path.delimiter)) {
    const file = path.resolve(workspace, folder === '' ? '.' : folder, program);
    const kind = fileKind(file);
    if (kind === 'executable') return undefined;
    if (kind === 'file') found ??= file;
  }
  if (found !== undefined) return `program "${program}" is not executable (${found})`;
  return `program "${program}" not found on PATH; ${later}`;
}

function fileKind(file: string): 'missing' | 'file' | 'executable' {
  try {
    if (!statSync(file).isFile()) return 'missing';
  } catch {
    return 'missing';
  }
  try {
    accessSync(file, constants.X_OK);
    return 'executable';
  } catch {
    return 'file';
  }
}
