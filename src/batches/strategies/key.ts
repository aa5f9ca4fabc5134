import type { BatchGrouper, BatchStrategy, GroupedItems } from './strategy.js';
import { durationOption, positiveInteger } from '../validate.js';

export interface KeyStrategyOptions<T> {
  /** The group of an item: a batch holds items of one key only. */
  key: (item: T) => string;
  /**
   * Items per batch: a group runs as soon as it has this many. Also the strategy's `batchSize`.
   * @default 100
   */
  size?: number;
  /**
   * A partial group runs once this long has passed since its first item arrived (milliseconds
   * or a duration such as `"2s"`), so a rare key is not held back by a slow source.
   * @default never: partial groups run only at the source's end or when the held-items bound is reached
   */
  flushAfter?: number | string;
}

const DEFAULT_SIZE = 100;

interface OpenGroup<T> extends GroupedItems<T> {
  key: string;
  openedAt: number;
}

/**
 * Batches of items sharing a key. A group runs when it is full, when it is older than
 * `flushAfter`, when the run holds its bound of items with a slot free (the largest group
 * then, the oldest among equals), and at the source's end (oldest first).
 */
export function keyStrategy<T>(options: KeyStrategyOptions<T>): BatchStrategy<T> {
  if (typeof options.key !== 'function') throw new TypeError('batches: strategy.key must be a function');
  const size = positiveInteger(options.size ?? DEFAULT_SIZE, 'strategy.size');
  const flushAfter = options.flushAfter === undefined ? undefined : durationOption(options.flushAfter, 'strategy.flushAfter');
  return {
    batchSize: size,
    createGrouper: () => new KeyGrouper(options.key, size, flushAfter),
  };
}

class KeyGrouper<T> implements BatchGrouper<T> {
  /** Open groups in the order they were opened (a Map keeps insertion order), so the first is the oldest. */
  private readonly open = new Map<string, OpenGroup<T>>();
  private readonly ready: GroupedItems<T>[] = [];

  constructor(
    private readonly keyOf: (item: T) => string,
    private readonly size: number,
    private readonly flushAfter: number | undefined,
  ) {}

  add(item: T, index: number, now: number): void {
    const key = this.keyOf(item);
    if (typeof key !== 'string') {
      throw new TypeError(`key of item ${index} is ${typeof key}; expected a string`);
    }
    let group = this.open.get(key);
    if (group === undefined) {
      group = { key, items: [], indices: [], openedAt: now };
      this.open.set(key, group);
    }
    group.items.push(item);
    group.indices.push(index);
    if (group.items.length >= this.size) this.ready.push(this.close(group));
  }

  takeReady(now: number): GroupedItems<T> | undefined {
    const full = this.ready.shift();
    if (full !== undefined) return full;
    const due = this.nextDueAt();
    return due !== undefined && due <= now ? this.close(this.oldest()!) : undefined;
  }

  takeForBound(): GroupedItems<T> | undefined {
    let largest: OpenGroup<T> | undefined;
    for (const group of this.open.values()) {
      if (largest === undefined || group.items.length > largest.items.length) largest = group;
    }
    return largest === undefined ? undefined : this.close(largest);
  }

  takeRemaining(): GroupedItems<T> | undefined {
    const oldest = this.oldest();
    return this.ready.shift() ?? (oldest === undefined ? undefined : this.close(oldest));
  }

  nextDueAt(): number | undefined {
    const oldest = this.oldest();
    return this.flushAfter === undefined || oldest === undefined ? undefined : oldest.openedAt + this.flushAfter;
  }

  private oldest(): OpenGroup<T> | undefined {
    return this.open.values().next().value;
  }

  private close(group: OpenGroup<T>): GroupedItems<T> {
    this.open.delete(group.key);
    return { items: group.items, indices: group.indices, key: group.key };
  }
}
