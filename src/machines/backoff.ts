import type { BackoffPolicy } from './types.js';

/**
 * Delay before the retry that follows the `failures`-th consumed attempt (1-based).
 * `random` is a sample in [0, 1) supplied by the caller, so the function stays pure and
 * tests can pin it. Jitter spreads the capped delay by ±`jitter`, and the result is
 * capped again so jitter never pushes a delay past `maxMs`.
 */
export function backoffDelay(policy: BackoffPolicy, failures: number, random: number): number {
  const exponent = Math.max(0, failures - 1);
  const base = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, exponent));
  const spread = policy.jitter > 0 ? 1 - policy.jitter + 2 * policy.jitter * random : 1;
  return Math.max(0, Math.min(policy.maxMs, Math.round(base * spread)));
}
