import { durationMs } from '../score/duration.js';

/** `value` when it is an integer >= 1, else a one-line error naming the option. */
export function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`batches: ${name} must be an integer >= 1, got ${describe(value)}`);
  }
  return value;
}

/** Milliseconds of a number (ms) or a duration string (`"500ms"`, `"30s"`), else a one-line error. */
export function durationOption(value: unknown, name: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const ms = durationMs(value);
    if (ms !== null) return ms;
  }
  throw new TypeError(
    `batches: ${name} must be milliseconds (a number >= 0) or a duration such as "30s", got ${describe(value)}`,
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
