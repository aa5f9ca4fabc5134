import { InvalidArgumentError, type Command } from 'commander';
import { loadPlatformDefaults } from '../score/defaults/load.js';
import { loadScore } from '../score/load.js';
import type { Score } from '../score/types.js';

/** The environment variable naming a platform defaults file, read by the `baton` command only. */
const DEFAULTS_ENV = 'BATON_DEFAULTS';

/** What `addDefaultsOption` adds to a command's flags: a file, or `false` for `--no-defaults`. */
export interface DefaultsFlags {
  defaults?: string | false;
}

/**
 * Adds `--defaults FILE` and `--no-defaults` to a command that loads a score. Every such
 * command needs them: a score may name instruments only the platform defaults define.
 */
export function addDefaultsOption<C extends Command>(cmd: C): C {
  cmd.option(
    '--defaults <file>',
    `platform defaults (YAML or JSON): sheet settings below the score's defaults, and instruments (default: $${DEFAULTS_ENV})`,
    fileName,
  );
  cmd.option('--no-defaults', `use no platform defaults, even if $${DEFAULTS_ENV} is set`);
  return cmd;
}

/** The platform defaults file to use and what named it: `--defaults` wins over `BATON_DEFAULTS`. */
export function defaultsFileFor(
  flags: DefaultsFlags,
  env: NodeJS.ProcessEnv = process.env,
): { file: string; namedBy: string } | undefined {
  if (flags.defaults === false) return undefined;
  if (flags.defaults !== undefined) return { file: flags.defaults, namedBy: '--defaults' };
  const named = env[DEFAULTS_ENV];
  return named === undefined || named.trim() === '' ? undefined : { file: named, namedBy: DEFAULTS_ENV };
}

/**
 * Loads a score with the platform defaults the flags and environment name. Throws a
 * `ScoreError` for a bad score or a bad defaults file (each problem naming the file).
 */
export async function loadScoreForCli(scorePath: string, flags: DefaultsFlags, env: NodeJS.ProcessEnv = process.env): Promise<Score> {
  const chosen = defaultsFileFor(flags, env);
  if (chosen === undefined) return loadScore(scorePath);
  const defaults = await loadPlatformDefaults(chosen.file, { namedBy: chosen.namedBy });
  return loadScore(scorePath, { defaults });
}

function fileName(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a file name');
  return value;
}
