/** What a process baton starts inherits, and how a failed start is told. */

/** The only variables an attempt inherits from baton's own environment, when they are set. */
export const INHERITED_ENV_KEYS: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'TERM',
];

/**
 * The environment of a process baton starts: only the {@link INHERITED_ENV_KEYS} that are set
 * in baton's own environment, then `extra` on top. Used for attempts and validation commands.
 */
export function minimalEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV_KEYS) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, extra);
  return env;
}

/** Why `program` could not be started, from the spawn error: `cannot start "x": command not found`. */
export function cannotStartMessage(program: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return `cannot start "${program}": command not found`;
    case 'EACCES':
      return `cannot start "${program}": permission denied (not an executable file)`;
    default:
      return `cannot start "${program}": ${error.message}`;
  }
}
