import type { SheetEvent } from '../machines/sheet-events.js';
import type { SheetInput } from '../machines/sheet.js';
import type { BackoffPolicy, DependencyFailurePolicy } from '../machines/types.js';
import { RATE_LIMIT_DEFAULTS } from '../score/rate-limit-defaults.js';

/**
 * Which sheet settings a model exercises. Each one adds the events that make it matter (a
 * fallback adds `UNAVAILABLE` and unavailable failures, validations add partial and failing
 * pass rates, a budget adds `OVER_BUDGET`…), so a model stays as small as what it tests.
 */
export interface SheetModelSettings {
  /**
   * Retries after the first attempt, on each instrument of the chain.
   * @default 1
   */
  retries?: number;
  /**
   * Fallback instruments after the primary one.
   * @default 0
   */
  fallbacks?: number;
  /**
   * One extra healing attempt once attempts and fallbacks are exhausted.
   * @default false
   */
  heal?: boolean;
  /**
   * Exhausted sheets wait in a fermata for a decision instead of failing.
   * @default false
   */
  escalate?: boolean;
  /**
   * The sheet has validations, so a successful attempt may pass them fully (1), partly (0.5,
   * completion mode) or not at all (0, a failed attempt).
   * @default false
   */
  validations?: boolean;
  /**
   * Completion-mode attempts allowed after a partial validation (only with `validations`).
   * @default 1
   */
  completionAttempts?: number;
  /**
   * What the sheet does when its dependency fails.
   * @default 'skip'
   */
  onDependencyFailure?: DependencyFailurePolicy;
  /**
   * An attempt may report a rate limit of this many ms (whole seconds); 0 leaves rate limits out.
   * @default 30000
   */
  rateLimitMs?: number;
  /**
   * The sheet's rate-limited run that reaches this count fails it (`rate_limit.max_limited_runs`
   * of its instruments).
   * @default RATE_LIMIT_DEFAULTS.maxLimitedRuns (100)
   */
  maxLimitedRuns?: number;
  /**
   * The sheet has a budget of $1 and an attempt may report spending $2.
   * @default false
   */
  budget?: boolean;
  /**
   * Attempts time out after this many ms; 0 leaves timeouts out.
   * @default 0
   */
  timeoutMs?: number;
  /**
   * Retry backoff of the sheet.
   * @default { initialMs: 1000, factor: 2, maxMs: 60000, jitter: 0.2 }
   */
  backoff?: BackoffPolicy;
  /**
   * The random sample every attempt outcome carries (and the runtime under test must use).
   * @default 0.5
   */
  random?: number;
}

export type ResolvedSheetModelSettings = Required<SheetModelSettings>;

export const SHEET_BUDGET_USD = 1;
export const OVER_BUDGET_COST_USD = 2;

/** Model events happen at time 0: the runtime's deadlines are compared relative to its own now. */
export const MODEL_TIME = 0;

export function resolveSettings(settings: SheetModelSettings = {}): ResolvedSheetModelSettings {
  const resolved: ResolvedSheetModelSettings = {
    retries: settings.retries ?? 1,
    fallbacks: settings.fallbacks ?? 0,
    heal: settings.heal ?? false,
    escalate: settings.escalate ?? false,
    validations: settings.validations ?? false,
    completionAttempts: settings.completionAttempts ?? 1,
    onDependencyFailure: settings.onDependencyFailure ?? 'skip',
    rateLimitMs: settings.rateLimitMs ?? 30_000,
    maxLimitedRuns: settings.maxLimitedRuns ?? RATE_LIMIT_DEFAULTS.maxLimitedRuns,
    budget: settings.budget ?? false,
    timeoutMs: settings.timeoutMs ?? 0,
    backoff: settings.backoff ?? { initialMs: 1000, factor: 2, maxMs: 60_000, jitter: 0.2 },
    random: settings.random ?? 0.5,
  };
  const counts = { retries: resolved.retries, fallbacks: resolved.fallbacks, completionAttempts: resolved.completionAttempts };
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 0 || value > 5) {
      throw new RangeError(`sheet model setting ${name}: expected an integer from 0 to 5, got ${value}`);
    }
  }
  if (!Number.isInteger(resolved.rateLimitMs / 1000) || resolved.rateLimitMs < 0 || resolved.rateLimitMs > RATE_LIMIT_DEFAULTS.maxWaitMs) {
    throw new RangeError(`sheet model setting rateLimitMs: expected whole seconds from 0 to 1 h, got ${resolved.rateLimitMs}`);
  }
  if (!Number.isInteger(resolved.maxLimitedRuns) || resolved.maxLimitedRuns < 1) {
    throw new RangeError(`sheet model setting maxLimitedRuns: expected an integer >= 1, got ${resolved.maxLimitedRuns}`);
  }
  if (!Number.isInteger(resolved.timeoutMs) || resolved.timeoutMs < 0) {
    throw new RangeError(`sheet model setting timeoutMs: expected an integer >= 0, got ${resolved.timeoutMs}`);
  }
  if (!(resolved.random >= 0 && resolved.random < 1)) {
    throw new RangeError(`sheet model setting random: expected a number in [0, 1), got ${resolved.random}`);
  }
  return resolved;
}

/** The input of the sheet actor the settings describe. */
export function sheetInputOf(settings: ResolvedSheetModelSettings): SheetInput {
  return {
    maxAttempts: 1 + settings.retries,
    completionAttempts: settings.completionAttempts,
    heal: settings.heal,
    escalate: settings.escalate,
    fallbacks: settings.fallbacks,
    backoff: settings.backoff,
  };
}

/** Every event the model may send, each with concrete payloads. */
export function modelEvents(settings: ResolvedSheetModelSettings): SheetEvent[] {
  const at = MODEL_TIME;
  const random = settings.random;
  const events: SheetEvent[] = [
    { type: 'DEPS_MET' },
    { type: 'DEPENDENCY_FAILED', policy: settings.onDependencyFailure },
    { type: 'DISPATCH' },
    { type: 'STARTED' },
    { type: 'SUCCEEDED', passRate: 1, at, random },
    { type: 'FAILED', reason: 'failed', error: 'the attempt failed', at, random },
    { type: 'RETRY_DUE' },
    { type: 'CANCEL' },
  ];
  if (settings.validations) {
    events.push({ type: 'SUCCEEDED', passRate: 0.5, at, random }, { type: 'SUCCEEDED', passRate: 0, at, random });
  }
  if (settings.fallbacks > 0) {
    events.push(
      { type: 'FAILED', reason: 'unavailable', error: 'the instrument cannot start', at, random },
      { type: 'UNAVAILABLE', error: 'the circuit of the instrument is open' },
    );
  }
  if (settings.timeoutMs > 0) events.push({ type: 'FAILED', reason: 'timeout', error: 'timed out', at, random });
  if (settings.rateLimitMs > 0) events.push({ type: 'RATE_LIMITED', waitMs: settings.rateLimitMs, at, maxLimitedRuns: settings.maxLimitedRuns }, { type: 'LIMIT_CLEARED' });
  if (settings.budget) events.push({ type: 'OVER_BUDGET', error: 'over its budget' });
  if (settings.escalate) {
    for (const decision of ['retry', 'skip', 'fail', 'accept'] as const) events.push({ type: 'DECIDE', decision });
  }
  return events;
}
