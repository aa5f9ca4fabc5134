import type { AttemptOutcome } from '../../actors/instruments/instrument.js';
import {
  scanTexts,
  type OutputFindings,
  type OutputScanRules,
  type OutputStream,
  type PatternSource,
  type StructuredFindings,
} from '../../actors/process/output-scan.js';
import { readStructuredOutput } from '../../actors/process/structured-output.js';
import { OUTPUT_TAIL_BYTES } from '../../actors/process/output-tail.js';
import { RATE_LIMIT_DEFAULTS } from '../../score/rate-limit-defaults.js';
import type { RateLimitSpec, StructuredOutputSpec } from '../../score/types.js';

/** What an instrument declares about reading its attempts' output (`rate_limit`, `cost_pattern`, `output`). */
export interface OutcomeScanSpec {
  rateLimit?: RateLimitSpec;
  costPattern?: RegExp;
  output?: StructuredOutputSpec;
}

export interface OutcomeScan {
  /** Set when the attempt was rate-limited: how long the sheets its limit covers (`scope`) wait. */
  rateLimitWaitMs?: number;
  /** The attempt's cost in USD, when known. */
  costUsd?: number;
  /** Set when the JSON result fails an attempt that exited 0 (`output.failed`, or no result to read). */
  failed?: true;
  /** The error text of the failed attempt, when its JSON result gives one (or says why it could not be read). */
  error?: string;
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
 * whose value is a finite number >= 0 (agent CLIs print a running total), or `output.cost` of
 * the JSON result (a score has one or the other), else the outcome's own `costUsd` when it is one.
 *
 * The JSON result (`output`) only ever adds a failure: an attempt that exited 0 fails when
 * `output.failed` is true or the result cannot be read (no JSON object, a field of the wrong
 * type), and a non-zero exit stays a failure whatever the result says. A failed attempt's
 * error is then `output.message` (after the exit status); the message is one more text
 * tested against `rate_limit.patterns`, and `output.retry_after` is the wait of a limit
 * found anywhere, before any `retry_after` match.
 *
 * Every wait is at least `minWaitMs` (`RATE_LIMIT_DEFAULTS.minWaitMs` without a `rate_limit`),
 * so that no output, not even a zero wait, makes a sheet spin. Waits are whole milliseconds (rounded).
 */
export function scanOutcome(outcome: AttemptOutcome, instrument: OutcomeScanSpec): OutcomeScan {
  const result: OutcomeScan = {};
  const findings = outcome.scanned ?? scanTails(outcome, instrument);
  const { output } = instrument;
  const structured = output === undefined ? undefined : (findings.structured ?? structuredFromTail(outcome, output, instrument));
  const verdict = output === undefined || structured === undefined ? undefined : structuredVerdict(outcome, output, structured);
  if (verdict?.failed === true) result.failed = true;
  if (verdict?.error !== undefined) result.error = verdict.error;
  const failed = outcome.status !== 'success' || result.failed === true;
  const wait = failed ? rateLimitWait(outcome, instrument.rateLimit, findings, structured) : undefined;
  if (wait !== undefined) result.rateLimitWaitMs = Math.max(wait, instrument.rateLimit?.minWaitMs ?? RATE_LIMIT_DEFAULTS.minWaitMs);
  const cost = attemptCost(outcome, findings, structured);
  if (cost !== undefined) result.costUsd = cost;
  return result;
}

/** Whether the JSON result fails the attempt, and the error text it gives a failed one. */
function structuredVerdict(
  outcome: AttemptOutcome,
  output: StructuredOutputSpec,
  structured: StructuredFindings,
): { failed?: true; error?: string } {
  if (outcome.status === 'success') {
    if (structured.problem !== undefined) return { failed: true, error: structured.problem };
    if (structured.failed !== true) return {};
    const said = `exited 0 but reported a failure (${output.failed ?? 'failed'} is true)`;
    return { failed: true, error: structured.message === undefined ? said : `${said}: ${structured.message}` };
  }
  if (structured.message === undefined) return {};
  const exit =
    typeof outcome.exitCode === 'number' ? `exited with status ${outcome.exitCode}` : typeof outcome.signal === 'string' ? `killed by ${outcome.signal}` : undefined;
  return exit === undefined ? {} : { error: `${exit}: ${structured.message}` };
}

function rateLimitWait(
  outcome: AttemptOutcome,
  spec: RateLimitSpec | undefined,
  findings: OutputFindings,
  structured: StructuredFindings | undefined,
): number | undefined {

  const reported = outcome.rateLimitedS;
  if (typeof reported === 'number' && !Number.isNaN(reported)) {
    return Math.round(Math.min(Math.max(0, reported * 1000), spec?.maxWaitMs ?? RATE_LIMIT_DEFAULTS.maxWaitMs));
  }

  if (spec === undefined || spec.patterns.length === 0) return undefined;
  // The message comes after the streams: a `retry_after` match in them is found first.
  const texts = [...streamsOf(spec).map((stream) => findings.rateLimit?.[stream]), structured?.rateLimit];
  if (!texts.some((text) => text?.rateLimited === true)) return undefined;

  const seconds = structured?.retryAfterS ?? (spec.retryAfter !== undefined ? texts.find((text) => text?.retryAfterS !== undefined)?.retryAfterS : undefined);
  return seconds === undefined ? spec.defaultWaitMs : Math.round(Math.min(seconds * 1000, spec.maxWaitMs));
}

function attemptCost(outcome: AttemptOutcome, findings: OutputFindings, structured: StructuredFindings | undefined): number | undefined {
  if (findings.costUsd !== undefined) return findings.costUsd;
  if (structured?.costUsd !== undefined) return structured.costUsd;
  const own = outcome.costUsd;
  return typeof own === 'number' && Number.isFinite(own) && own >= 0 ? own : undefined;
}

function scanTails(outcome: AttemptOutcome, instrument: OutcomeScanSpec): OutputFindings {
  const rules = outputScanRules(instrument);
  if (rules === undefined || (outcome.stdoutTail === undefined && outcome.stderrTail === undefined)) return {};
  return scanTexts(rules, { stdout: outcome.stdoutTail ?? '', stderr: outcome.stderrTail ?? '' });
}

/** An outcome without the instrument's findings (one that reports only tails): its stdout tail is read instead. */
function structuredFromTail(outcome: AttemptOutcome, output: StructuredOutputSpec, instrument: OutcomeScanSpec): StructuredFindings | undefined {
  const tail = outcome.stdoutTail;
  if (tail === undefined) return undefined;
  // A tail shorter than the most a tail holds (less a character cut at its start) is the whole stream.
  const whole = Buffer.byteLength(tail) < OUTPUT_TAIL_BYTES - 3;
  return readStructuredOutput(tail, whole, output, outputScanRules(instrument)?.rateLimit);
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
  const { rateLimit, costPattern, output } = instrument;
  const rules: OutputScanRules | undefined =
    rateLimit === undefined && costPattern === undefined && output === undefined
      ? undefined
      : {
          ...(costPattern !== undefined && { cost: source(costPattern) }),
          ...(output !== undefined && { output }),
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
