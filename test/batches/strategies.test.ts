import { describe, expect, it } from 'vitest';
import {
  dispatchBatches,
  keyStrategy,
  sizeStrategy,
  VirtualClock,
  weightStrategy,
  type BatchGrouper,
  type BatchStrategy,
  type GroupedItems,
} from '../../src/index.js';
import { runVirtual } from '../support/virtual-run.js';
import { range, resultValues } from './helpers.js';

function drain<T>(grouper: BatchGrouper<T>): GroupedItems<T>[] {
  const out: GroupedItems<T>[] = [];
  for (let g = grouper.takeRemaining(); g !== undefined; g = grouper.takeRemaining()) out.push(g);
  return out;
}

function feed<T>(grouper: BatchGrouper<T>, items: T[], now = 0): GroupedItems<T>[] {
  const ready: GroupedItems<T>[] = [];
  items.forEach((item, index) => {
    grouper.add(item, index, now);
    for (let g = grouper.takeReady(now); g !== undefined; g = grouper.takeReady(now)) ready.push(g);
  });
  return ready;
}

describe('size strategy', () => {
  it('closes a batch at `size` items and leaves the rest for the end', () => {
    const grouper = sizeStrategy<number>({ size: 2 }).createGrouper();
    expect(feed(grouper, [1, 2, 3, 4, 5]).map((g) => g.items)).toEqual([[1, 2], [3, 4]]);
    expect(drain(grouper).map((g) => g.items)).toEqual([[5]]);
  });
});

describe('weight strategy', () => {
  const strategy = weightStrategy<number>({ weight: (n) => n, maxWeight: 10, maxItems: 3 });

  it('has maxItems as its batch size', () => {
    expect(strategy.batchSize).toBe(3);
  });

  it('closes a batch before an item would push it past maxWeight', () => {
    const grouper = strategy.createGrouper();
    const ready = feed(grouper, [4, 5, 2, 8, 1, 1, 1, 1]);
    expect(ready.map((g) => g.items)).toEqual([[4, 5], [2, 8], [1, 1, 1]]);
    expect(drain(grouper).map((g) => g.items)).toEqual([[1]]);
  });

  it('runs an item heavier than maxWeight alone', () => {
    const grouper = strategy.createGrouper();
    const ready = feed(grouper, [3, 25, 4]);
    expect(ready.map((g) => g.items)).toEqual([[3], [25]]);
    expect(drain(grouper).map((g) => g.items)).toEqual([[4]]);
  });

  it('rejects a bad maxWeight', () => {
    expect(() => weightStrategy<number>({ weight: (n) => n, maxWeight: 0 })).toThrow(
      'batches: strategy.maxWeight must be a finite number > 0, got 0',
    );
  });
});

describe('key strategy', () => {
  const byLetter = (s: string): string => s[0]!;

  it('runs a group as soon as it is full', () => {
    const grouper = keyStrategy({ key: byLetter, size: 2 }).createGrouper();
    expect(feed(grouper, ['a1', 'b1', 'b2', 'a2']).map((g) => [g.key, g.items])).toEqual([
      ['b', ['b1', 'b2']],
      ['a', ['a1', 'a2']],
    ]);
  });

  it('at the source end, runs the left-over groups oldest first', () => {
    const grouper = keyStrategy({ key: byLetter, size: 5 }).createGrouper();
    feed(grouper, ['c1', 'a1', 'c2', 'b1']);
    expect(drain(grouper).map((g) => g.key)).toEqual(['c', 'a', 'b']);
  });

  it('at the bound, gives up the largest group (the oldest among equals)', () => {
    const grouper = keyStrategy({ key: byLetter, size: 5 }).createGrouper();
    feed(grouper, ['a1', 'b1', 'b2', 'c1', 'c2']);
    expect(grouper.takeForBound()?.items).toEqual(['b1', 'b2']);
    expect(grouper.takeForBound()?.items).toEqual(['c1', 'c2']);
    expect(grouper.takeForBound()?.items).toEqual(['a1']);
    expect(grouper.takeForBound()).toBeUndefined();
  });

  it('with flushAfter, runs a partial group once it is old enough', () => {
    const grouper = keyStrategy({ key: byLetter, size: 5, flushAfter: '2s' }).createGrouper();
    grouper.add('a1', 0, 1000);
    grouper.add('b1', 1, 1500);
    expect(grouper.nextDueAt?.()).toBe(3000);
    expect(grouper.takeReady(2999)).toBeUndefined();
    expect(grouper.takeReady(3000)?.items).toEqual(['a1']);
    expect(grouper.nextDueAt?.()).toBe(3500);
  });

  it('flushAfter releases a rare key while a slow source is still pulled', async () => {
    const clock = new VirtualClock();
    async function* slow(): AsyncGenerator<string> {
      yield 'a1';
      yield 'b1';
      await new Promise((resolve) => clock.schedule(resolve, 10_000));
      yield 'a2';
    }
    const startedAt: number[] = [];
    const run = await runVirtual(
      dispatchBatches(slow(), {
        executor: (items) => {
          startedAt.push(clock.now());
          return items;
        },
        strategy: { key: byLetter, size: 10, flushAfter: 1000 },
        clock,
      }),
      clock,
    );
    expect(startedAt).toEqual([1000, 1000, 10_000]);
    expect(resultValues(run)).toEqual(['a1', 'b1', 'a2']);
  });

  it('rejects a key that is not a string, naming the item', () => {
    const grouper = keyStrategy<unknown>({ key: (x) => x as string }).createGrouper();
    expect(() => grouper.add(7, 4, 0)).toThrow('key of item 4 is number; expected a string');
  });
});

describe('a custom strategy', () => {
  /** Pairs each item with the next one, but flushes everything only at the end. */
  const hoarding: BatchStrategy<number> = {
    batchSize: 2,
    createGrouper: () => {
      const held: GroupedItems<number> = { items: [], indices: [] };
      return {
        add: (item, index) => {
          held.items.push(item);
          held.indices.push(index);
        },
        takeReady: () => undefined,
        takeForBound: () => undefined,
        takeRemaining: () => (held.items.length === 0 ? undefined : { items: held.items.splice(0), indices: held.indices.splice(0) }),
      };
    },
  };

  it('that never releases a batch halts the run instead of hanging', async () => {
    await expect(dispatchBatches(range(10), { executor: (xs) => xs, strategy: hoarding, maxInFlight: 2 })).rejects.toThrow(
      'batches: the strategy holds 4 items and releases no batch',
    );
  });

  it('that forms a batch larger than its batchSize halts the run', async () => {
    await expect(dispatchBatches(range(3), { executor: (xs) => xs, strategy: hoarding, maxInFlight: 2 })).rejects.toThrow(
      'batches: the strategy formed a batch of 3 items with 3 indices; a batch holds 1 to 2 items',
    );
  });

  it('that works is used as is', async () => {
    const odd: BatchStrategy<number> = { ...sizeStrategy<number>({ size: 2 }) };
    const run = await dispatchBatches(range(5), { executor: (xs) => xs, strategy: odd });
    expect(run.batches.map((b) => b.items)).toEqual([[0, 1], [2, 3], [4]]);
  });
});
