import type { AttemptOutcome } from '../../actors/instruments/instrument.js';
import { scanTexts, type OutputFindings, type OutputScanRules, type OutputStream, type PatternSource } from '../../actors/process/output-scan.js';
import { RATE_LIMIT_DEFAULTS } from '../../score/rate-limit-defaults.js';
import type { RateLimitSpec } from '../../score/types.js';

/** What an instrument declares about reading its attempts' output (`rate_limit`, `cost_pattern`). */
export interface OutcomeScanSpec {
  rateLimit?: RateLimitSpec;
  costPattern?: RegExp;
}

export interface OutcomeScan {
  /** Set when the attempt was rate-limited: how long the sheets its limit covers (`scope`) wait. */
  rateLimitWaitMs?: number;
  /** The attempt's cost in USD, when known. */
  costUsd?: number;
}

/**
 * Reads what an attempt's outcome says beyond success or failure: whether it was rate-limited
 * (and for how long), and what it cost. Pure: it reads what the instrument found in the whole
 * output (`outcome.scanned`, by the rules of {@link outputScanRules}); an outcome without it
 * (an instrument that reports only tails) has its tails scanned by the same rules.
 *
 * Rate limit (failed attempts only; a successful attempt is a success whatever it printed):
 * - an instrument's own `rateLimitedS` (function instruments) wins, clamped to `maxWaitMs`
 *   (`RATE_LIMIT_DEFAULTS.maxWaitMs` when the instrument has no `rate_limit`);
 * - otherwise, with a `rate_limit`, the attempt is rate-limited when a line of one of its
 *   `streams` (stderr by default) matches one of its `patterns`, case-insensitively. The wait
 *   is then the first capture group of `retry_after` in seconds (decimals allowed) of its last
 *   valid match in the first listed stream that has one, clamped to `maxWaitMs`; when there is
 *   none, `defaultWaitMs`.
 *
 * Cost (any attempt): the first capture group of the LAST match of `cost_pattern` on stdout
 * whose value is a finite number >= 0 (agent CLIs print a running total), else the outcome's
 * own `costUsd` when it is one.
 *
 * Every wait is at least `minWaitMs` (`RATE_LIMIT_DEFAULTS.minWaitMs` without a `rate_limit`),
 * so that no output, not even a zero wait, makes a sheet spin. Waits are whole milliseconds (rounded).
 */
export function scanOutcome(outcome: AttemptOutcome, instrument: OutcomeScanSpec): OutcomeScan {
  const result: OutcomeScan = {};
  const findings = outcome.scanned ?? scanTails(outcome, instrument);
  const wait = rateLimitWait(outcome, instrument.rateLimit, findings);
  if (wait !== undefined) result.rateLimitWaitMs = Math.max(wait, instrument.rateLimit?.minWaitMs ?? RATE_LIMIT_DEFAULTS.minWaitMs);
  const cost = attemptCost(outcome, findings);
  if (cost !== undefined) result.costUsd = cost;
  return result;
}

function rateLimitWait(outcome: AttemptOutcome, spec: RateLimitSpec | undefined, findings: OutputFindings): number | undefined {
  if (outcome.status === 'success') return undefined;

  const reported = outcome.rateLimitedS;
  if (typeof reported === 'number' && !Number.isNaN(reported)) {
    return Math.round(Math.min(Math.max(0, reported * 1000), spec?.maxWaitMs ?? RATE_LIMIT_DEFAULTS.maxWaitMs));
  }

  if (spec === undefined || spec.patterns.length === 0) return undefined;
  const streams = streamsOf(spec).map((stream) => findings.rateLimit?.[stream]);
  if (!streams.some((stream) => stream?.rateLimited === true)) return undefined;

  if (spec.retryAfter !== undefined) {
    for (const stream of streams) {
      const seconds = stream?.retryAfterS;
      if (seconds !== undefined) return Math.round(Math.min(seconds * 1000, spec.maxWaitMs));
    }
  }
  return spec.defaultWaitMs;
}

function attemptCost(outcome: AttemptOutcome, findings: OutputFindings): number | undefined {
  if (findings.costUsd !== undefined) return findings.costUsd;
  const own = outcome.costUsd;
  return typeof own === 'number' && Number.isFinite(own) && own >= 0 ? own : undefined;
}

function scanTails(outcome: AttemptOutcome, instrument: OutcomeScanSpec): OutputFindings {
  const rules = outputScanRules(instrument);
  if (rules === undefined || (outcome.stdoutTail === undefined && outcome.stderrTail === undefined)) return {};
  return scanTexts(rules, { stdout: outcome.stdoutTail ?? '', stderr: outcome.stderrTail ?? '' });
}

function streamsOf(spec: RateLimitSpec): OutputStream[] {
  return spec.streams.length > 0 ? [...new Set(spec.streams)] : ['stderr'];
}

// Built once per instrument spec: every attempt of the instrument carries the same rules.
const rulesOf = new WeakMap<OutcomeScanSpec, OutputScanRules | undefined>();

/**
 * What an attempt's instrument asks to look for in its output, as plain data for the
 * instrument (and a spawner helper) to scan by; undefined when it asks for nothing.
 */
export function outputScanRules(instrument: OutcomeScanSpec): OutputScanRules | undefined {
  if (rulesOf.has(instrument)) return rulesOf.get(instrument);
  const { rateLimit, costPattern } = instrument;
  const rules: OutputScanRules | undefined =
    rateLimit === undefined && costPattern === undefined
      ? undefined
      : {
          ...(costPattern !== undefined && { cost: source(costPattern) }),
          ...(rateLimit !== undefined &&
            rateLimit.patterns.length > 0 && {
              rateLimit: {
                patterns: rateLimit.patterns.map(source),
                ...(rateLimit.retryAfter !== undefined && { retryAfter: source(rateLimit.retryAfter) }),
                streams: streamsOf(rateLimit),
              },
            }),
        };
  rulesOf.set(instrument, rules);
  return rules;
}

const source = (re: RegExp): PatternSource => ({ source: re.source, flags: re.flags });
