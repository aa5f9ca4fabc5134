import { positiveInteger } from '../validate.js';
import { keyStrategy, type KeyStrategyOptions } from './key.js';
import { sizeStrategy, type SizeStrategyOptions } from './size.js';
import type { BatchStrategy } from './strategy.js';
import { weightStrategy, type WeightStrategyOptions } from './weight.js';

export type BatchStrategySpec<T> =
  | SizeStrategyOptions
  | KeyStrategyOptions<T>
  | WeightStrategyOptions<T>
  | BatchStrategy<T>;

/** The built-in strategy a spec names, or the spec itself when it is a `BatchStrategy`. */
export function resolveStrategy<T>(spec: BatchStrategySpec<T>): BatchStrategy<T> {
  if (typeof spec !== 'object' || spec === null) {
    throw new TypeError('batches: strategy must be { size }, { key }, { weight, maxWeight } or a BatchStrategy');
  }
  if ('createGrouper' in spec) {
    positiveInteger(spec.batchSize, 'strategy.batchSize');
    return spec;
  }
  if ('key' in spec) return keyStrategy(spec);
  if ('weight' in spec) return weightStrategy(spec);
  if ('size' in spec) return sizeStrategy(spec);
  throw new TypeError('batches: strategy must be { size }, { key }, { weight, maxWeight } or a BatchStrategy');
}
