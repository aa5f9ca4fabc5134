import { positiveInteger } from '../validate.js';
import { RunGrouper } from './run-grouper.js';
import type { BatchStrategy } from './strategy.js';

export interface SizeStrategyOptions {
  /** Items per batch; the last batch may hold fewer. */
  size: number;
}

/** Batches of `size` consecutive items. */
export function sizeStrategy<T>(options: SizeStrategyOptions): BatchStrategy<T> {
  const size = positiveInteger(options.size, 'strategy.size');
  return {
    batchSize: size,
    createGrouper: () => new RunGrouper<T>((group) => group.items.length >= size),
  };
}
