import { describe, expect, it } from 'vitest';
import {
  BatchAbortedError,
  BatchHaltError,
  BatchLengthError,
  BatchTimeoutError,
  dispatchBatches,
  VirtualClock,
  type BatchExecutor,
} from '../../src/index.js';
import { runVirtual } from '../support/virtual-run.js';
import { asyncSource, CountingSource, range, resultValues, sourceRecord } from './helpers.js';

const double: BatchExecutor<number, number> = (items) => items.map((n) => n * 2);

describe('dispatchBatches when things fail', () => {
  describe('onError', () => {
    const failOdd: BatchExecutor<number, number> = (items, { batchIndex }) => {
      if (batchIndex % 2 === 1) throw new Error(`batch ${batchIndex} is odd`);
      return items.map((n) => n * 2);
    };

    it('skip reports failed batches as skipped and runs the rest', async () => {
      const run = await dispatchBatches(range(8), { executor: failOdd, strategy: { size: 2 }, onError: 'skip' });
      // Each result names its item: after a skip, position in `results` is not the item's.
      expect(run.results).toEqual([
        { index: 0, item: 0, result: 0 },
        { index: 1, item: 1, result: 2 },
        { index: 4, item: 4, result: 8 },
        { index: 5, item: 5, result: 10 },
      ]);
      expect(run.skipped.map((b) => b.items)).toEqual([[2, 3], [6, 7]]);
      expect(run.skipped.map((b) => (b.error as Error).message)).toEqual(['batch 1 is odd', 'batch 3 is odd']);
    });

    it('route hands each failed batch to the handler and keeps what it returns', async () => {
      const seen: number[][] = [];
      const run = await dispatchBatches(range(8), {
        executor: failOdd,
        strategy: { size: 2 },
        onError: {
          route: async (failure) => {
            seen.push(failure.items);
            return `dead-letter/${failure.batchIndex}`;
          },
        },
      });
      expect(seen).toEqual([[2, 3], [6, 7]]);
      expect(run.routed.map((b) => b.routed)).toEqual(['dead-letter/1', 'dead-letter/3']);
      expect(resultValues(run)).toEqual([0, 2, 8, 10]);
    });

    it('a route handler that throws halts the run', async () => {
      const error = await dispatchBatches(range(4), {
        executor: failOdd,
        strategy: { size: 2 },
        maxInFlight: 1,
        onError: { route: () => { throw new Error('queue is down'); } },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BatchHaltError);
      expect((error as BatchHaltError).message).toBe('batch 1: the route handler failed: queue is down');
      expect((error as BatchHaltError).batch?.items).toEqual([2, 3]);
    });

    it('halt rejects with the cause, the partial results and the unfinished items, and closes the source', async () => {
      const source = new CountingSource(range(20));
      const error = await dispatchBatches(source, { executor: failOdd, strategy: { size: 2 }, maxInFlight: 1 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BatchHaltError);
      const halt = error as BatchHaltError<number, number>;
      expect(halt.message).toBe('batch 1 failed after 1 attempt: batch 1 is odd');
      expect((halt.cause as Error).message).toBe('batch 1 is odd');
      expect(halt.batch?.items).toEqual([2, 3]);
      expect(resultValues(halt.partial)).toEqual([0, 2]);
      expect(halt.unfinished.items).toEqual([]);
      expect(source.pulled).toBe(4);
      expect(source.returned).toBe(true);
    });

    it('retries on the virtual clock with exponential backoff, then succeeds', async () => {
      const clock = new VirtualClock();
      const calls: { at: number; attempt: number }[] = [];
      const executor: BatchExecutor<number, number> = (items, { attempt }) => {
        calls.push({ at: clock.now(), attempt });
        if (attempt < 3) return Promise.reject(new Error('flaky'));
        return Promise.resolve(items);
      };
      const run = await runVirtual(
        dispatchBatches([1, 2], {
          executor,
          strategy: { size: 2 },
          clock,
          onError: { retry: { attempts: 3, backoff: { initialMs: 1000, factor: 2 } } },
        }),
        clock,
      );
      expect(resultValues(run)).toEqual([1, 2]);
      expect(run.batches[0]!.attempts).toBe(3);
      expect(calls).toEqual([
        { at: 0, attempt: 1 },
        { at: 1000, attempt: 2 },
        { at: 3000, attempt: 3 },
      ]);
    });

    it('stops retrying after `attempts` and then applies `then`', async () => {
      const clock = new VirtualClock();
      let calls = 0;
      const run = await runVirtual(
        dispatchBatches([1], {
          executor: () => {
            calls++;
            return Promise.reject(new Error('down'));
          },
          strategy: { size: 1 },
          clock,
          onError: { retry: { attempts: 4, backoff: { initialMs: 10 }, then: 'skip' } },
        }),
        clock,
      );
      expect(calls).toBe(4);
      expect(run.skipped[0]!.attempts).toBe(4);
    });
  });

  describe('an executor that returns the wrong number of results', () => {
    it('fails the batch with a BatchLengthError, never truncating', async () => {
      const run = await dispatchBatches(range(5), {
        executor: (items) => items.slice(1),
        strategy: { size: 3 },
        onError: 'skip',
      });
      expect(resultValues(run)).toEqual([]);
      const errors = run.skipped.map((b) => b.error);
      expect(errors[0]).toBeInstanceOf(BatchLengthError);
      expect((errors[0] as Error).message).toBe('batch 0: executor returned 2 results for 3 items');
      expect((errors[1] as Error).message).toBe('batch 1: executor returned 1 result for 2 items');
    });

    it('fails a batch whose executor returns an array of the right length with holes', async () => {
      const sparse: BatchExecutor<number, number>[] = [
        (items) => {
          const results = items.map((n) => n * 2);
          delete results[1];
          return results;
        },
        (items) => new Array<number>(items.length),
        // A stored undefined is a result, not a hole.
        (items) => items.map(() => undefined as unknown as number),
      ];
      const runs = await Promise.all(
        sparse.map((executor) => dispatchBatches(range(4), { executor, strategy: { size: 4 }, onError: 'skip' })),
      );
      expect(runs.map((run) => run.results.length)).toEqual([0, 0, 4]);
      expect(runs[0]!.skipped[0]!.error).toBeInstanceOf(BatchLengthError);
      expect((runs[0]!.skipped[0]!.error as BatchLengthError).holes).toEqual([1]);
      expect((runs[0]!.skipped[0]!.error as Error).message).toBe('batch 0: executor returned an array of 4 with 1 hole for 4 items (at 1)');
      expect((runs[1]!.skipped[0]!.error as Error).message).toBe(
        'batch 0: executor returned an array of 4 with 4 holes for 4 items (at 0, 1, 2, 3)',
      );
    });

    it('halts by default, naming the mismatch', async () => {
      const error = await dispatchBatches([1, 2], { executor: (items) => [...items, 3], strategy: { size: 2 } }).catch(
        (e: unknown) => e,
      );
      expect((error as BatchHaltError).cause).toBeInstanceOf(BatchLengthError);
      expect((error as Error).message).toBe('batch 0 failed after 1 attempt: batch 0: executor returned 3 results for 2 items');
    });

    it('fails the batch when the executor returns something other than an array', async () => {
      const run = await dispatchBatches([1], {
        executor: (() => ({ ok: true })) as unknown as BatchExecutor<number, number>,
        strategy: { size: 1 },
        onError: 'skip',
      });
      expect((run.skipped[0]!.error as Error).message).toBe('executor returned an object; expected an array of results');
    });
  });

  describe('timeout', () => {
    it('aborts an attempt that runs too long and fails it with a BatchTimeoutError', async () => {
      const clock = new VirtualClock();
      const signals: AbortSignal[] = [];
      const run = await runVirtual(
        dispatchBatches([1, 2, 3], {
          executor: (items, { signal }) => {
            signals.push(signal);
            return items[0] === 3 ? Promise.resolve(items) : new Promise<number[]>(() => {});
          },
          strategy: { size: 2 },
          clock,
          timeout: '5s',
          onError: 'skip',
        }),
        clock,
      );
      expect(resultValues(run)).toEqual([3]);
      const error = run.skipped[0]!.error;
      expect(error).toBeInstanceOf(BatchTimeoutError);
      expect((error as Error).message).toBe('batch 0 attempt 1 timed out after 5000 ms');
      expect(signals[0]!.aborted).toBe(true);
      expect(signals[0]!.reason).toBe(error);
      expect(signals[1]!.aborted).toBe(false);
    });

    it('a retried timeout gets a fresh attempt', async () => {
      const clock = new VirtualClock();
      const run = await runVirtual(
        dispatchBatches([1], {
          executor: (items, { attempt }) => (attempt === 1 ? new Promise<number[]>(() => {}) : Promise.resolve(items)),
          strategy: { size: 1 },
          clock,
          timeout: 100,
          onError: { retry: { attempts: 2, backoff: { initialMs: 0 } } },
        }),
        clock,
      );
      expect(resultValues(run)).toEqual([1]);
      expect(run.batches[0]!.attempts).toBe(2);
    });
  });

  describe('abort', () => {
    it('aborts the executors in flight, stops pulling, closes the source and rejects with an AbortError', async () => {
      const controller = new AbortController();
      const record = sourceRecord();
      const started: AbortSignal[] = [];
      const promise = dispatchBatches(asyncSource(range(100), record), {
        executor: (items, { signal, batchIndex }) => {
          started.push(signal);
          if (batchIndex === 2) queueMicrotask(() => controller.abort('user stop'));
          if (batchIndex < 2) return items;
          // Rejects late, once aborted: the run has already rejected and must not leak this.
          return new Promise<number[]>((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))));
        },
        strategy: { size: 5 },
        maxInFlight: 2,
        signal: controller.signal,
      });
      const error = await promise.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BatchAbortedError);
      const aborted = error as BatchAbortedError<number, number>;
      expect(aborted.name).toBe('AbortError');
      expect(aborted.message).toBe('batches aborted (user stop)');
      expect(aborted.cause).toBe('user stop');
      expect(resultValues(aborted.partial)).toEqual(range(10));
      expect(started.slice(2).every((s) => s.aborted && s.reason === 'user stop')).toBe(true);
      expect(aborted.unfinished.indices.length).toBeGreaterThan(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(record.closed).toBe(true);
      expect(record.exhausted).toBe(false);
      expect(record.pulled).toBeLessThan(100);
    });

    it('does not pull at all when the signal is already aborted', async () => {
      const source = new CountingSource(range(5));
      const error = await dispatchBatches(source, {
        executor: double,
        strategy: { size: 1 },
        signal: AbortSignal.abort(),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BatchAbortedError);
      expect(source.pulled).toBe(0);
    });
  });

  describe('failures outside the batches', () => {
    it('a source that throws halts the run with the error as cause', async () => {
      function* source(): Generator<number> {
        yield 1;
        yield 2;
        throw new Error('disk gone');
      }
      const error = await dispatchBatches(source(), { executor: double, strategy: { size: 5 } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BatchHaltError);
      expect((error as Error).message).toBe('batches: the source failed: disk gone');
      expect((error as BatchHaltError).unfinished.items).toEqual([1, 2]);
    });

    it('a weight function that returns NaN halts the run naming the item', async () => {
      const error = await dispatchBatches([1, 2, 3], {
        executor: double,
        strategy: { weight: (n: number) => (n === 2 ? Number.NaN : n), maxWeight: 10 },
      }).catch((e: unknown) => e);
      expect((error as Error).message).toBe('batches: weight of item 1 is NaN; expected a finite number >= 0');
    });
  });

});
