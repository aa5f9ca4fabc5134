import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SheetFunction } from '../actors/instruments/instrument.js';
import { compileScore, type CompileOptions } from './compile.js';
import { loadPlatformDefaults, type PlatformDefaults } from './defaults/load.js';
import { ScoreError, formatPath, throwIfProblems, type ScoreProblem } from './errors.js';
import { issuesToProblems } from './issues.js';
import { firstLine, parseJson, parseYaml } from './parse-text.js';
import { withoutRefusedParts } from './repair.js';
import { scoreSchema, type ScoreInput } from './schema.js';
import type { Score } from './types.js';

export interface ParseScoreOptions {
  /** The file the text came from: used for `Score.sourcePath` and to pick the format. */
  sourcePath?: string;
  /** Folder that `workspace` and instrument `module` paths are relative to. */
  baseDir: string;
  /** @default 'json' when sourcePath ends in .json, else 'yaml' */
  format?: 'yaml' | 'json';
  /** Platform defaults: settings below the score's own `defaults:`, and instruments it may name. */
  defaults?: PlatformDefaults;
}

export interface DefineScoreOptions {
  /** Folder that `workspace` and instrument `module` paths are relative to. @default process.cwd() */
  baseDir?: string;
  /** Platform defaults: settings below the score's own `defaults:`, and instruments it may name. */
  defaults?: PlatformDefaults;
}

export interface LoadScoreOptions {
  /**
   * Platform defaults, or the path of their file (see `loadPlatformDefaults`). Never read
   * from the environment here: the `baton` command reads `BATON_DEFAULTS`.
   */
  defaults?: string | PlatformDefaults;
}

/**
 * Parses and validates score text. Synchronous: a function instrument's `module` is resolved
 * to an absolute path but not imported (see `loadInstrumentModules`).
 */
export function parseScore(text: string, options: ParseScoreOptions): Score {
  const format = options.format ?? (options.sourcePath?.toLowerCase().endsWith('.json') ? 'json' : 'yaml');
  const raw = format === 'json' ? parseJson(text) : parseYaml(text);
  return validate(raw, options.baseDir, options.sourcePath, options.defaults);
}

/** Validates a score written as an object in a program; a function instrument may give `run`. */
export function defineScore(input: ScoreInput, options: DefineScoreOptions = {}): Score {
  return validate(input, options.baseDir ?? process.cwd(), undefined, options.defaults);
}

/** Reads, validates and prepares a score file (YAML, or JSON for `.json`), importing function modules. */
export async function loadScore(file: string, options: LoadScoreOptions = {}): Promise<Score> {
  const sourcePath = path.resolve(file);
  const defaults = typeof options.defaults === 'string' ? await loadPlatformDefaults(options.defaults) : options.defaults;
  let text: string;
  try {
    text = await readFile(sourcePath, 'utf8');
  } catch (e) {
    throw new ScoreError([{ path: '<file>', message: readProblem(sourcePath, e) }]);
  }
  const score = parseScore(text, { sourcePath, baseDir: path.dirname(sourcePath), ...(defaults !== undefined && { defaults }) });
  await loadInstrumentModules(score);
  return score;
}

/**
 * Imports the module of every function instrument that has no function yet and sets its
 * `fn` to the named export. Throws a `ScoreError` naming `instruments.NAME.module` or
 * `instruments.NAME.export` for a module that cannot be loaded or an export that is missing
 * or not a function.
 */
async function loadInstrumentModules(score: Score): Promise<void> {
  const problems: ScoreProblem[] = [];
  for (const [name, spec] of Object.entries(score.instruments)) {
    if (spec.kind !== 'function' || spec.fn !== undefined || spec.module === undefined) continue;
    const inFile = spec.definedIn === undefined ? '' : `${spec.definedIn}: `;
    const at = (field: string) => `${inFile}${formatPath(['instruments', name, field])}`;
    if (!existsSync(spec.module)) {
      problems.push({ path: at('module'), message: `module file not found: ${spec.module}` });
      continue;
    }
    let exports: Record<string, unknown>;
    try {
      exports = (await import(pathToFileURL(spec.module).href)) as Record<string, unknown>;
    } catch (e) {
      problems.push({ path: at('module'), message: `cannot load module ${spec.module}: ${firstLine(e)}` });
      continue;
    }
    const fn = exports[spec.export];
    if (!Object.hasOwn(exports, spec.export) || fn === undefined) {
      const names = Object.keys(exports);
      const available = names.length === 0 ? 'it has no exports' : `its exports: ${names.join(', ')}`;
      problems.push({ path: at('export'), message: `module ${spec.module} has no export "${spec.export}" (${available})` });
    } else if (typeof fn !== 'function') {
      problems.push({
        path: at('export'),
        message: `export "${spec.export}" of ${spec.module} is not a function (it is ${fn === null ? 'null' : typeof fn})`,
      });
    } else {
      spec.fn = fn as SheetFunction;
    }
  }
  throwIfProblems(problems);
}

function validate(raw: unknown, baseDir: string, sourcePath?: string, platform?: PlatformDefaults): Score {
  if (raw === null || raw === undefined) {
    throw new ScoreError([{ path: '<score>', message: sourcePath === undefined ? 'the score is empty' : `the score file is empty: ${sourcePath}` }]);
  }
  const options = { baseDir, ...(sourcePath !== undefined && { sourcePath }), ...(platform !== undefined && { platform }) };
  const result = scoreSchema.safeParse(raw, { reportInput: true });
  if (result.success) return compileScore(result.data, options);
  const problems = issuesToProblems(result.error.issues);
  throw new ScoreError([...problems, ...checksOfTheRest(raw, result.error.issues, problems, options)]);
}

/**
 * What the whole-score checks (dependencies, cycles, instruments, templates) find in a score
 * that failed the schema, with the refused parts taken out: reported with the schema's
 * problems, so one pass shows everything. Problems inside a part already reported are left
 * out, being consequences of it.
 */
function checksOfTheRest(
  raw: unknown,
  issues: Parameters<typeof withoutRefusedParts>[1],
  reported: readonly ScoreProblem[],
  options: CompileOptions,
): ScoreProblem[] {
  const rest = withoutRefusedParts(raw, issues);
  if (rest === undefined) return [];
  const parsed = scoreSchema.safeParse(rest);
  if (!parsed.success) return [];
  try {
    compileScore(parsed.data, options);
    return [];
  } catch (error) {
    if (!(error instanceof ScoreError)) throw error;
    return error.problems.filter((problem) => !reported.some((r) => within(problem.path, r.path)));
  }
}

function within(path: string, part: string): boolean {
  return path === part || path.startsWith(`${part}.`) || path.startsWith(`${part}[`);
}

function readProblem(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `score file not found: ${file}`;
  if (code === 'EISDIR') return `${file} is a folder, not a score file`;
  if (code === 'EACCES') return `permission denied reading ${file}`;
  return `cannot read ${file}: ${firstLine(e)}`;
}
