import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  BatchAbortedError,
  BatchHaltError,
  streamBatches,
  VirtualClock,
  type BatchExecutor,
  type BatchOutcome,
} from '../../src/index.js';
import { runVirtual, settle } from '../support/virtual-run.js';
import { CountingSource, range } from './helpers.js';

const same: BatchExecutor<number, number> = (items) => items;

async function collect<T, R>(stream: AsyncIterable<BatchOutcome<T, R>>): Promise<BatchOutcome<T, R>[]> {
  const out: BatchOutcome<T, R>[] = [];
  for await (const outcome of stream) out.push(outcome);
  return out;
}

describe('streamBatches', () => {
  it('yields one outcome per batch, in batch order under preserve', async () => {
    const clock = new VirtualClock();
    const executor: BatchExecutor<number, number> = (items, { batchIndex }) =>
      new Promise((resolve) => clock.schedule(() => resolve(items), 100 - batchIndex));
    const outcomes = await runVirtual(collect(streamBatches(range(6), { executor, strategy: { size: 2 }, clock })), clock);
    expect(outcomes.map((o) => o.batchIndex)).toEqual([0, 1, 2]);
    expect(outcomes.map((o) => o.status === 'succeeded' && o.results)).toEqual([[0, 1], [2, 3], [4, 5]]);
  });

  it('yields in completion order under as-completed', async () => {
    const clock = new VirtualClock();
    const executor: BatchExecutor<number, number> = (items, { batchIndex }) =>
      new Promise((resolve) => clock.schedule(() => resolve(items), 100 - batchIndex));
    const stream = streamBatches(range(6), { executor, strategy: { size: 2 }, clock, ordering: 'as-completed' });
    const outcomes = await runVirtual(collect(stream), clock);
    expect(outcomes.map((o) => o.batchIndex)).toEqual([2, 1, 0]);
  });

  it('yields skipped and routed batches too, with their status', async () => {
    const stream = streamBatches(range(4), {
      executor: (items, { batchIndex }) => (batchIndex === 0 ? Promise.reject(new Error('no')) : items),
      strategy: { size: 2 },
      onError: 'skip',
    });
    expect((await collect(stream)).map((o) => o.status)).toEqual(['skipped', 'succeeded']);
  });

  it('is an RxJS observable through from() and .observable', async () => {
    const viaFrom = await lastValueFrom(from(streamBatches(range(5), { executor: same, strategy: { size: 2 } })).pipe(toArray()));
    expect(viaFrom.map((o) => o.items)).toEqual([[0, 1], [2, 3], [4]]);
    const viaProperty = await lastValueFrom(streamBatches(range(3), { executor: same, strategy: { size: 2 } }).observable.pipe(toArray()));
    expect(viaProperty).toHaveLength(2);
  });

  it('can be consumed once', async () => {
    const stream = streamBatches(range(3), { executor: same, strategy: { size: 2 } });
    await collect(stream);
    expect(() => stream[Symbol.asyncIterator]()).toThrow('batches: a batch stream can be consumed once');
  });

  it('does not pull the source until it is consumed, then only as the consumer takes batches', async () => {
    const source = new CountingSource(range(20));
    const stream = streamBatches(source, { executor: same, strategy: { size: 2 }, maxInFlight: 2 });
    await settle();
    expect(source.pulled).toBe(0);
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.items).toEqual([0, 1]);
    await settle();
    // Batch 0 is in the consumer's hands and batch 1 waits for it: 2 × 2 items held.
    expect(source.pulled).toBe(4);
    expect((await iterator.next()).value?.items).toEqual([2, 3]);
    await settle();
    expect(source.pulled).toBe(6);
  });

  it('leaving the loop early cancels the batches in flight and closes the source', async () => {
    const source = new CountingSource(range(100));
    const signals: AbortSignal[] = [];
    const stream = streamBatches(source, {
      executor: (items, { signal, batchIndex }) => {
        signals.push(signal);
        return batchIndex === 0 ? items : new Promise<number[]>(() => {});
      },
      strategy: { size: 2 },
      maxInFlight: 3,
    });
    for await (const outcome of stream) {
      expect(outcome.batchIndex).toBe(0);
      break;
    }
    expect(source.returned).toBe(true);
    expect(signals).toHaveLength(3);
    expect(signals.slice(1).every((s) => s.aborted)).toBe(true);
  });

  it('unsubscribing cancels the run', async () => {
    const source = new CountingSource(range(100));
    const signals: AbortSignal[] = [];
    const subscription = streamBatches(source, {
      executor: (_items, { signal }) => {
        signals.push(signal);
        return new Promise<number[]>(() => {});
      },
      strategy: { size: 2 },
    }).observable.subscribe();
    subscription.unsubscribe();
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(source.returned).toBe(true);
  });

  it('yields what finished before a halt, then throws the BatchHaltError', async () => {
    const stream = streamBatches(range(6), {
      executor: (items, { batchIndex }) => (batchIndex === 1 ? Promise.reject(new Error('bad batch')) : items),
      strategy: { size: 2 },
      maxInFlight: 1,
    });
    const seen: number[] = [];
    const error = await (async () => {
      for await (const outcome of stream) seen.push(outcome.batchIndex);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([0]);
    expect(error).toBeInstanceOf(BatchHaltError);
    // What was yielded is the consumer's; the error's partial holds only what was not.
    expect((error as BatchHaltError).partial.batches).toEqual([]);
    expect((error as BatchHaltError).batch?.batchIndex).toBe(1);
  });

  it('throws a BatchAbortedError when the signal aborts', async () => {
    const controller = new AbortController();
    const stream = streamBatches(range(10), {
      executor: () => new Promise<number[]>(() => {}),
      strategy: { size: 2 },
      signal: controller.signal,
    });
    const iterator = stream[Symbol.asyncIterator]();
    const pending = iterator.next();
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(BatchAbortedError);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('rejects a source that is not iterable at once', () => {
    expect(() => streamBatches(null as unknown as number[], { executor: same, strategy: { size: 1 } })).toThrow(
      'batches: the source must be an Iterable or an AsyncIterable',
    );
  });
});
