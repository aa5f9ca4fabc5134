import { ScoreError } from './errors.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const SECONDS = /^\d+(?:\.\d+)?$/;
const WHOLE = /^(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)\s*)+$/;
const SEGMENT = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/g;

const HINT = 'use seconds (30, 1.5) or a string like "500ms", "30s", "5m", "1h", "1h30m"';

/**
 * Why `value` is not a duration, or null when it is one. Numbers are seconds (fractions
 * allowed, never negative); strings are seconds (`"10"`) or unit segments (`500ms`, `30s`,
 * `5m`, `1h`, `2d`, combined as `1h30m`).
 */
export function durationProblem(value: unknown): string | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `invalid duration ${value}: ${HINT}`;
    if (value < 0) return `invalid duration ${value}: must not be negative`;
    return null;
  }
  if (typeof value !== 'string') return `expected a duration: ${HINT}`;
  const text = value.trim();
  if (SECONDS.test(text) || (text !== '' && WHOLE.test(text))) return null;
  return `invalid duration ${JSON.stringify(value)}: ${HINT}`;
}

/** A duration of the score file in milliseconds (rounded to a whole millisecond). */
export function parseDuration(value: number | string, path: string): number {
  const problem = durationProblem(value);
  if (problem !== null) throw new ScoreError([{ path, message: problem }]);
  return toMs(value);
}

/** Milliseconds of a duration, or null when `value` is not one. */
export function durationMs(value: unknown): number | null {
  return durationProblem(value) === null ? toMs(value as number | string) : null;
}

function toMs(value: number | string): number {
  if (typeof value === 'number') return Math.round(value * 1000);
  const text = value.trim();
  if (SECONDS.test(text)) return Math.round(Number(text) * 1000);
  let ms = 0;
  for (const match of text.matchAll(SEGMENT)) {
    ms += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return Math.round(ms);
}
