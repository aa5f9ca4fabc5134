/**
 * What a rate limit is held to where the score says nothing: the values of an instrument's
 * `rate_limit` block left out, and the bounds of a function's own `rate_limited_s` when its
 * instrument has no `rate_limit` block at all.
 */
export const RATE_LIMIT_DEFAULTS = Object.freeze({
  /** Wait when a matched output gives no `retry_after`. */
  defaultWaitMs: 60_000,
  /** Floor of every wait: no report, not even `0`, makes a sheet run again sooner. */
  minWaitMs: 1_000,
  /** Ceiling of every parsed or reported wait. */
  maxWaitMs: 3_600_000,
  /** A sheet's rate-limited runs that fail it: the one that reaches this count fails it with reason `rate_limited`. */
  maxLimitedRuns: 100,
});
