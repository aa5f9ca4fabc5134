import { keyStrategy, type KeyStrategyOptions } from './key.js';
import { positiveInteger } from '../validate.js';

/** Items grouped into one batch, each with its 0-based position in the source. */
export interface GroupedItems<T> {
  items: T[];
  indices: number[];
  key?: string;
}

/**
 * The grouping state of one run. The runtime calls `add` for each item it pulls and takes
 * batches out with the `take*` methods; every item added must leave in exactly one batch,
 * and no batch may hold more than the strategy's `batchSize` items.
 */
export interface BatchGrouper<T> {
  /** Takes the item at source position `index`; `now` is the run's clock. May throw on a bad item. */
  add(item: T, index: number, now: number): void;
  /** A batch complete enough to run now (full, or due by age), oldest first. */
  takeReady(now: number): GroupedItems<T> | undefined;
  /**
   * The run may not pull more items (its bound is reached) and a slot is free: the group
   * to run anyway, if any.
   */
  takeForBound(): GroupedItems<T> | undefined;
  /** The source ended: the next leftover group, oldest first, until none is left. */
  takeRemaining(): GroupedItems<T> | undefined;
  /** The earliest time (run clock) a group becomes ready by age, so the runtime can wake up then. */
  nextDueAt?(): number | undefined;
}

/** A way to group items into batches. Implement it to plug in your own. */
export interface BatchStrategy<T> {
  /** Most items in one batch; the run holds at most `maxInFlight × batchSize` items. */
  readonly batchSize: number;
  /** A fresh grouping state for one run. */
  createGrouper(): BatchGrouper<T>;
}

export interface SizeStrategyOptions {
  /** Items per batch; the last batch may hold fewer. */
  size: number;
}

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

export type BatchStrategySpec<T> =
  | SizeStrategyOptions
  | KeyStrategyOptions<T>
  | WeightStrategyOptions<T>
  | BatchStrategy<T>;

export const DEFAULT_MAX_ITEMS = 100;

/** Batches of `size` consecutive items. */
export function sizeStrategy<T>(options: SizeStrategyOptions): BatchStrategy<T> {
  const size = positiveInteger(options.size, 'strategy.size');
  return {
    batchSize: size,
    createGrouper: () => new RunGrouper<T>((group) => group.items.length >= size),
  };
}

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

/**
 * Groups consecutive items: one open group at a time. `fits` decides whether an item may
 * join the open group (else the group closes first); `full` whether the group closes now.
 */
class RunGrouper<T> implements BatchGrouper<T> {
  private open: GroupedItems<T> = { items: [], indices: [] };
  private readonly ready: GroupedItems<T>[] = [];

  constructor(
    private readonly full: (group: GroupedItems<T>) => boolean,
    private readonly fits: (group: GroupedItems<T>, item: T, index: number) => boolean = () => true,
  ) {}

  add(item: T, index: number): void {
    if (!this.fits(this.open, item, index)) this.close();
    this.open.items.push(item);
    this.open.indices.push(index);
    if (this.full(this.open)) this.close();
  }

  takeReady(): GroupedItems<T> | undefined {
    return this.ready.shift();
  }

  takeForBound(): GroupedItems<T> | undefined {
    return this.takeRemaining();
  }

  takeRemaining(): GroupedItems<T> | undefined {
    if (this.ready.length === 0) this.close();
    return this.ready.shift();
  }

  private close(): void {
    if (this.open.items.length === 0) return;
    this.ready.push(this.open);
    this.open = { items: [], indices: [] };
  }
}
