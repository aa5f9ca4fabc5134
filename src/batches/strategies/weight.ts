import { positiveInteger } from '../validate.js';
import { RunGrouper } from './run-grouper.js';
import type { BatchStrategy } from './strategy.js';

export interface WeightStrategyOptions<T> {
  /** Weight of one item: a finite number >= 0. */
  weight: (item: T) => number;
  /**
   * A batch closes before an item would push its total weight past this. An item heavier
   * than `maxWeight` on its own runs alone, as a batch of one.
   */
  maxWeight: number;
  /**
   * Most items per batch, whatever their weight: the strategy's `batchSize`.
   * @default 100
   */
  maxItems?: number;
}

const DEFAULT_MAX_ITEMS = 100;

/** Batches of consecutive items whose total weight stays within `maxWeight`. */
export function weightStrategy<T>(options: WeightStrategyOptions<T>): BatchStrategy<T> {
  if (typeof options.weight !== 'function') throw new TypeError('batches: strategy.weight must be a function');
  const maxWeight = options.maxWeight;
  if (typeof maxWeight !== 'number' || !Number.isFinite(maxWeight) || maxWeight <= 0) {
    throw new TypeError(`batches: strategy.maxWeight must be a finite number > 0, got ${String(maxWeight)}`);
  }
  const maxItems = positiveInteger(options.maxItems ?? DEFAULT_MAX_ITEMS, 'strategy.maxItems');
  const weigh = (item: T, index: number): number => {
    const weight = options.weight(item);
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new TypeError(`weight of item ${index} is ${String(weight)}; expected a finite number >= 0`);
    }
    return weight;
  };
  return {
    batchSize: maxItems,
    createGrouper: () => {
      let total = 0;
      return new RunGrouper<T>(
        (group) => group.items.length >= maxItems || total >= maxWeight,
        (group, item, index) => {
          const weight = weigh(item, index);
          const fits = group.items.length === 0 || total + weight <= maxWeight;
          total = fits && group.items.length > 0 ? total + weight : weight;
          return fits;
        },
      );
    },
  };
}
