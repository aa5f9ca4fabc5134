import type { Random } from './random.js';

/**
 * A distribution of non-negative values (milliseconds for latencies and waits, dollars for
 * costs). Draws never go below 0.
 */
export type Distribution =
  | { kind: 'fixed'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  /** Clamped at 0: a wide spread piles some mass there instead of going negative. */
  | { kind: 'normal'; mean: number; stddev: number }
  /** Given by its median and 90th percentile, the way latencies are usually quoted. */
  | { kind: 'lognormal'; median: number; p90: number };

/** The standard normal's 90th percentile. */
const Z90 = 1.2815515655446004;

export function sample(distribution: Distribution, random: Random): number {
  switch (distribution.kind) {
    case 'fixed':
      return distribution.value;
    case 'uniform':
      return distribution.min + (distribution.max - distribution.min) * random();
    case 'normal':
      return Math.max(0, distribution.mean + distribution.stddev * standardNormal(random));
    case 'lognormal': {
      const { median, p90 } = distribution;
      if (median === 0 || p90 === median) return median;
      const sigma = Math.log(p90 / median) / Z90;
      return median * Math.exp(sigma * standardNormal(random));
    }
  }
}

/** Box–Muller; always takes two draws, so a stream stays aligned whatever the values. */
function standardNormal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
