import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ScoreError, type ScoreProblem } from '../errors.js';
import { issuesToProblems } from '../issues.js';
import { platformDefaultsSchema, type PlatformDefaultsInput, type SheetSettingsData } from './schema.js';
import { firstLine, parseJson, parseYaml } from '../parse-text.js';
import type { ScoreData } from '../schema.js';

/**
 * Sheet settings and instruments below every score: a sheet setting resolves as sheet >
 * score `defaults:` > platform defaults > built-in, and a score instrument replaces a
 * platform instrument of the same name whole. Build one with `loadPlatformDefaults`,
 * `parsePlatformDefaults` or `definePlatformDefaults`.
 */
export interface PlatformDefaults {
  /** Where the defaults came from, named in errors and by `explainSheet`: a file's absolute path, or a label. */
  readonly source: string;
  /** Folder that the `module` of a function instrument is relative to. */
  readonly baseDir: string;
  readonly settings: SheetSettingsData;
  readonly instruments: ScoreData['instruments'];
}

export interface LoadPlatformDefaultsOptions {
  /**
   * What named the file (`--defaults`, `BATON_DEFAULTS`), added to the error when it cannot
   * be read, so a user knows where to fix the name.
   */
  namedBy?: string;
}

export interface ParsePlatformDefaultsOptions {
  /** The file the text came from: names it in errors and explanations, and picks the format. */
  sourcePath: string;
  /** Folder that instrument modules are relative to. @default the folder of sourcePath */
  baseDir?: string;
  /** @default 'json' when sourcePath ends in .json, else 'yaml' */
  format?: 'yaml' | 'json';
}

export interface DefinePlatformDefaultsOptions {
  /** Names the defaults in errors and explanations. @default '<program>' */
  source?: string;
  /** Folder that instrument modules are relative to. @default process.cwd() */
  baseDir?: string;
}

/** Reads and validates a platform defaults file (YAML, or JSON for `.json`). */
export async function loadPlatformDefaults(file: string, options: LoadPlatformDefaultsOptions = {}): Promise<PlatformDefaults> {
  const sourcePath = path.resolve(file);
  let text: string;
  try {
    text = await readFile(sourcePath, 'utf8');
  } catch (e) {
    const namedBy = options.namedBy === undefined ? '' : ` (named by ${options.namedBy})`;
    throw new ScoreError([{ path: sourcePath, message: `${readProblem(e)}${namedBy}` }]);
  }
  return parsePlatformDefaults(text, { sourcePath });
}

/** Parses and validates the text of a platform defaults file. */
export function parsePlatformDefaults(text: string, options: ParsePlatformDefaultsOptions): PlatformDefaults {
  const sourcePath = path.resolve(options.sourcePath);
  const format = options.format ?? (sourcePath.toLowerCase().endsWith('.json') ? 'json' : 'yaml');
  let raw: unknown;
  try {
    raw = format === 'json' ? parseJson(text) : parseYaml(text);
  } catch (e) {
    if (e instanceof ScoreError) throw inSource(sourcePath, e.problems);
    throw e;
  }
  return validate(raw ?? {}, sourcePath, options.baseDir ?? path.dirname(sourcePath));
}

/** Validates platform defaults written as an object in a program; a function instrument may give `run`. */
export function definePlatformDefaults(
  input: PlatformDefaultsInput,
  options: DefinePlatformDefaultsOptions = {},
): PlatformDefaults {
  return validate(input, options.source ?? '<program>', path.resolve(options.baseDir ?? process.cwd()));
}

const NOT_HERE: Record<string, string> = {
  defaults: 'write the settings at the top level of a platform defaults file (retries: 3, not defaults: { retries: 3 })',
  sheets: 'a platform defaults file holds sheet settings and instruments, not sheets',
};

function validate(raw: unknown, source: string, baseDir: string): PlatformDefaults {
  const result = platformDefaultsSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const problems = issuesToProblems(result.error.issues).map((p) => {
      const hint = NOT_HERE[p.path];
      return hint === undefined ? p : { path: p.path, message: `${p.message}: ${hint}` };
    });
    throw inSource(source, problems);
  }
  const { instruments = {}, ...settings } = result.data;
  return { source, baseDir: path.resolve(baseDir), settings, instruments };
}

/** Problems found in a platform defaults file, each path prefixed by the file. */
function inSource(source: string, problems: readonly ScoreProblem[]): ScoreError {
  return new ScoreError(
    problems.map((p) => ({
      path: p.path === '<score>' || p.path === '<file>' ? source : `${source}: ${p.path}`,
      message: p.message,
    })),
  );
}

function readProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'platform defaults file not found';
  if (code === 'EISDIR') return 'is a folder, not a platform defaults file';
  if (code === 'EACCES') return 'permission denied reading the platform defaults file';
  return `cannot read the platform defaults file: ${firstLine(e)}`;
}
