import { InvalidArgumentError } from 'commander';
import { durationMs } from '../score/duration.js';

/** Commander argument parser for counts: rejects 0, negatives, fractions and non-numbers. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** Commander argument parser for TCP ports (0 lets the system choose). */
export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number, 0 to 65535');
  return n;
}

/** Commander argument parser for integers that may be 0 or negative (seeds). */
export function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

/** Commander argument parser for durations above 0 (`500ms`, `10s`, `2m`), in ms. */
export function positiveDuration(value: string): number {
  const ms = durationMs(value);
  if (ms === null || ms <= 0) throw new InvalidArgumentError('expected a duration above 0, such as 500ms, 10s or 2m');
  return ms;
}
