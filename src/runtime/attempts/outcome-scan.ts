import type { AttemptOutcome } from '../../actors/instruments/instrument.js';
import { RATE_LIMIT_DEFAULTS } from '../../score/rate-limit-defaults.js';
import type { RateLimitSpec } from '../../score/types.js';

/** What an instrument declares about reading its attempts' output (`rate_limit`, `cost_pattern`). */
export interface OutcomeScanSpec {
  rateLimit?: RateLimitSpec;
  costPattern?: RegExp;
}

export interface OutcomeScan {
  /** Set when the attempt was rate-limited: how long every sheet of the instrument waits. */
  rateLimitWaitMs?: number;
  /** The attempt's cost in USD, when known. */
  costUsd?: number;
}

type Stream = 'stdout' | 'stderr';

/**
 * Reads what an attempt's outcome says beyond success or failure: whether it was rate-limited
 * (and for how long), and what it cost. Pure and cheap: it looks only at the outcome, never at
 * files, so a `rate_limit` pattern, a `retry_after` value or a `cost_pattern` match must appear
 * in the last 8 KiB of its stream (`stdoutTail` / `stderrTail`) to be seen.
 *
 * Rate limit (failed attempts only; a successful attempt is a success whatever it printed):
 * - an instrument's own `rateLimitedS` (function instruments) wins, clamped to `maxWaitMs`
 *   (`RATE_LIMIT_DEFAULTS.maxWaitMs` when the instrument has no `rate_limit`);
 * - otherwise, with a `rate_limit`, the tails of its `streams` (stderr by default) are tested
 *   against its `patterns`, case-insensitively. On a match the wait is the first capture group
 *   of `retry_after` in seconds (decimals allowed; the last valid match of the first scanned
 *   stream that has one), clamped to `maxWaitMs`; when there is none, `defaultWaitMs`.
 *
 * Cost (any attempt): the first capture group of the LAST match of `cost_pattern` in the
 * stdout tail whose value is a finite number >= 0 (agent CLIs print a running total), else the
 * outcome's own `costUsd` when it is one.
 *
 * Every wait is at least `minWaitMs` (`RATE_LIMIT_DEFAULTS.minWaitMs` without a `rate_limit`),
 * so that no output, not even a zero wait, makes a sheet spin. Waits are whole milliseconds (rounded).
 */
export function scanOutcome(outcome: AttemptOutcome, instrument: OutcomeScanSpec): OutcomeScan {
  const result: OutcomeScan = {};
  const wait = rateLimitWait(outcome, instrument.rateLimit);
  if (wait !== undefined) result.rateLimitWaitMs = Math.max(wait, instrument.rateLimit?.minWaitMs ?? RATE_LIMIT_DEFAULTS.minWaitMs);
  const cost = attemptCost(outcome, instrument.costPattern);
  if (cost !== undefined) result.costUsd = cost;
  return result;
}

function rateLimitWait(outcome: AttemptOutcome, spec: RateLimitSpec | undefined): number | undefined {
  if (outcome.status === 'success') return undefined;

  const reported = outcome.rateLimitedS;
  if (typeof reported === 'number' && !Number.isNaN(reported)) {
    return Math.round(Math.min(Math.max(0, reported * 1000), spec?.maxWaitMs ?? RATE_LIMIT_DEFAULTS.maxWaitMs));
  }

  if (spec === undefined || spec.patterns.length === 0) return undefined;
  const texts = scannedStreams(spec).map((stream) => tail(outcome, stream));
  const limited = spec.patterns.some((pattern) => {
    const re = caseInsensitive(pattern);
    return texts.some((text) => text !== '' && re.test(text));
  });
  if (!limited) return undefined;

  if (spec.retryAfter !== undefined) {
    const re = caseInsensitiveGlobal(spec.retryAfter);
    for (const text of texts) {
      const seconds = lastValidCapture(re, text);
      if (seconds !== undefined) return Math.round(Math.min(seconds * 1000, spec.maxWaitMs));
    }
  }
  return spec.defaultWaitMs;
}

function attemptCost(outcome: AttemptOutcome, pattern: RegExp | undefined): number | undefined {
  if (pattern !== undefined) {
    const parsed = lastValidCapture(globalCopy(pattern), outcome.stdoutTail ?? '');
    if (parsed !== undefined) return parsed;
  }
  const own = outcome.costUsd;
  return typeof own === 'number' && isNonNegativeFinite(own) ? own : undefined;
}

function scannedStreams(spec: RateLimitSpec): Stream[] {
  return spec.streams.length > 0 ? [...new Set(spec.streams)] : ['stderr'];
}

function tail(outcome: AttemptOutcome, stream: Stream): string {
  return (stream === 'stdout' ? outcome.stdoutTail : outcome.stderrTail) ?? '';
}

/** The first capture group of the last match in `text` that parses as a finite number >= 0. */
function lastValidCapture(globalRe: RegExp, text: string): number | undefined {
  if (text === '') return undefined;
  let found: number | undefined;
  for (const match of text.matchAll(globalRe)) {
    const value = parseNumber(match[1]);
    if (value !== undefined) found = value;
  }
  return found;
}

/** Leading decimal number of a capture (`"30"`, `"1.5"`, `"0.25."`); anything else is no value. */
function parseNumber(capture: string | undefined): number | undefined {
  if (capture === undefined) return undefined;
  const value = Number.parseFloat(capture.trim());
  return isNonNegativeFinite(value) ? value : undefined;
}

function isNonNegativeFinite(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}

// A spec built in code may carry `g` or `y` (stateful `lastIndex`) or lack `i`; scanning uses
// derived copies so the given RegExp objects are never mutated. Copies are cached per RegExp.
const derived = new WeakMap<RegExp, Map<string, RegExp>>();

function withFlags(re: RegExp, add: string, drop: string): RegExp {
  let flags = '';
  for (const flag of re.flags) if (!drop.includes(flag) && !add.includes(flag)) flags += flag;
  flags += add;
  let copies = derived.get(re);
  if (copies === undefined) {
    copies = new Map();
    derived.set(re, copies);
  }
  let copy = copies.get(flags);
  if (copy === undefined) {
    copy = new RegExp(re.source, flags);
    copies.set(flags, copy);
  }
  return copy;
}

const caseInsensitive = (re: RegExp): RegExp => withFlags(re, 'i', 'gy');
const caseInsensitiveGlobal = (re: RegExp): RegExp => withFlags(re, 'gi', 'y');
const globalCopy = (re: RegExp): RegExp => withFlags(re, 'g', 'y');
