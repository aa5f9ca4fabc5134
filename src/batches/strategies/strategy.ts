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
