/** The spread of one measure over the runs of a simulation. */
export interface Spread {
  mean: number;
  /** The run value at rank ⌈n/2⌉: always a value some run had. */
  median: number;
  /** The run value at rank ⌈0.9·n⌉. */
  p90: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of values sorted ascending; `p` in (0, 1]. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1]!;
}

/** The spread of at least one value. Sums run in the given order, so the result is reproducible. */
export function spreadOf(values: readonly number[], decimals: number): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  let sum = 0;
  for (const v of values) sum += v;
  const round = (v: number): number => roundTo(v, decimals);
  return {
    mean: round(sum / values.length),
    median: round(percentile(sorted, 0.5)),
    p90: round(percentile(sorted, 0.9)),
    min: round(sorted[0]!),
    max: round(sorted[sorted.length - 1]!),
  };
}

/** Rounds half away from zero to a number of decimals, so printed results do not show float noise. */
export function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  const rounded = Math.round(Math.abs(value) * scale) / scale;
  return value < 0 ? -rounded : rounded;
}
