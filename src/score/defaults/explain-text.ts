import type { SettingSource } from '../types.js';
import type { ValidationSpec } from '../types.js';

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Milliseconds as a duration the score file accepts: `500ms`, `30s`, `5m`, `1h30m`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** Where a setting came from, in words: `sheet`, `platform defaults (/etc/baton/defaults.yaml)`. */
export function sourceLabel(source: SettingSource): string {
  const platform = (file: string) => `platform defaults (${file})`;
  switch (source.kind) {
    case 'sheet':
    case 'score defaults':
    case 'built-in':
      return source.kind;
    case 'platform defaults':
      return platform(source.file);
    case 'instrument':
      return source.file === undefined ? `instrument ${source.instrument}` : `instrument ${source.instrument} of ${platform(source.file)}`;
    case 'only instrument':
      return source.file === undefined ? "the score's only instrument" : `the only instrument, of ${platform(source.file)}`;
  }
}

/** A validation as one line: `file_matches "{{workspace}}/out.txt" =~ /^OK/`. */
export function describeValidation(validation: ValidationSpec): string {
  switch (validation.kind) {
    case 'file_exists':
      return `file_exists ${JSON.stringify(validation.path.source)}`;
    case 'file_matches':
      return `file_matches ${JSON.stringify(validation.path.source)} =~ /${validation.pattern}/`;
    case 'command_succeeds':
      return `command_succeeds [${validation.argv.map((t) => JSON.stringify(t.source)).join(', ')}]`;
  }
}

/**
 * The ids nearest to `wanted`, best first: those within a small edit distance, and those
 * that contain it or that it contains (a fan-out id for a member that does not exist).
 */
export function closeMatches(wanted: string, ids: readonly string[], limit = 5): string[] {
  const lower = wanted.toLowerCase();
  const scored: Array<{ id: string; score: number }> = [];
  for (const id of ids) {
    const other = id.toLowerCase();
    const distance = editDistance(lower, other);
    const related = other.startsWith(`${lower}.`) || lower.startsWith(`${other}.`) || other.includes(lower);
    if (distance <= Math.max(2, Math.floor(wanted.length / 3)) || related) {
      scored.push({ id, score: related ? Math.min(distance, 1) : distance });
    }
  }
  scored.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
  return scored.slice(0, limit).map((s) => s.id);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
