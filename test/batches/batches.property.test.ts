import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  BatchAbortedError,
  BatchHaltError,
  dispatchBatches,
  streamBatches,
  type BatchErrorPolicy,
  type BatchExecutor,
  type BatchOutcome,
  type BatchRunResult,
  type BatchStrategySpec,
} from '../../src/index.js';
import { CountingSource, range } from './helpers.js';
import { ShuffledClock } from './shuffled-clock.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);

interface StrategyCase {
  spec: BatchStrategySpec<number>;
  /** The strategy's batchSize, for the held-items bound. */
  batchSize: number;
  label: string;
}

const strategyArb: fc.Arbitrary<StrategyCase> = fc.oneof(
  fc.integer({ min: 1, max: 5 }).map((size) => ({ spec: { size }, batchSize: size, label: `size ${size}` })),
  fc
    .record({ size: fc.integer({ min: 1, max: 4 }), keys: fc.integer({ min: 1, max: 4 }), flushAfter: fc.option(fc.integer({ min: 0, max: 50 })) })
    .map(({ size, keys, flushAfter }) => ({
      spec: { key: (n: number) => `k${n % keys}`, size, ...(flushAfter !== null ? { flushAfter } : {}) },
      batchSize: size,
      label: `key ${keys} size ${size} flush ${String(flushAfter)}`,
    })),
  fc
    .record({ maxWeight: fc.integer({ min: 1, max: 10 }), maxItems: fc.integer({ min: 1, max: 4 }) })
    .map(({ maxWeight, maxItems }) => ({
      spec: { weight: (n: number) => n % 7, maxWeight, maxItems },
      batchSize: maxItems,
      label: `weight ${maxWeight} items ${maxItems}`,
    })),
);

const itemsArb = fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 30 });
const f = (n: number): string => `r${n}`;

/**
 * A source whose every `next()` answer is released by the fast-check scheduler (or, when
 * `sync`, answered at once). `beforePull` runs at each pull, with the number already pulled.
 */
function source(
  s: fc.Scheduler,
  items: number[],
  sync: boolean,
  beforePull: (pulled: number) => void,
): { iterable: Iterable<number> | AsyncIterable<number>; state: { pulled: number; returned: boolean; exhausted: boolean } } {
  if (sync) {
    const counting = new CountingSource(items, beforePull);
    return { iterable: counting, state: counting };
  }
  const state = { pulled: 0, returned: false, exhausted: false };
  const iterable: AsyncIterable<number> = {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        beforePull(state.pulled);
        if (state.pulled >= items.length) {
          state.exhausted = true;
          return s.schedule(Promise.resolve({ done: true as const, value: undefined }), 'source end');
        }
        const value = items[state.pulled++]!;
        return s.schedule(Promise.resolve({ done: false as const, value }), `source ${value}`);
      },
      return: () => {
        state.returned = true;
        return Promise.resolve({ done: true as const, value: undefined });
      },
    }),
  };
  return { iterable, state };
}

describe('batched fan-out properties', () => {
  test.prop([fc.scheduler(), itemsArb, strategyArb, fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.constantFrom('preserve' as const, 'as-completed' as const)], {
    numRuns: RUNS,
  })('in-flight batches never exceed maxInFlight, and every item gets its result', async (s, items, strategy, maxInFlight, sync, ordering) => {
    let running = 0;
    let peak = 0;
    const executor: BatchExecutor<number, string> = async (batch) => {
      running++;
      peak = Math.max(peak, running);
      try {
        return await s.schedule(Promise.resolve(batch.map(f)), `batch of ${batch.length}`);
      } finally {
        running--;
      }
    };
    const { iterable } = source(s, items, sync, () => {});
    const run = await s.waitFor(
      dispatchBatches(iterable, { executor, strategy: strategy.spec, maxInFlight, ordering, clock: new ShuffledClock(s) }),
    );
    expect(peak).toBeLessThanOrEqual(maxInFlight);
    expect(run.results.map((r) => r.result).sort()).toEqual(items.map(f).sort());
  });

  test.prop([fc.scheduler(), itemsArb, strategyArb, fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.boolean()], { numRuns: RUNS })(
    'the source is never pulled more than maxInFlight × batchSize items ahead of the consumer',
    async (s, items, strategy, maxInFlight, sync, dawdle) => {
      const bound = maxInFlight * strategy.batchSize;
      let received = 0;
      const ahead: number[] = [];
      const { iterable, state } = source(s, items, sync, (pulled) => ahead.push(pulled + 1 - received));
      const stream = streamBatches(iterable, {
        executor: (batch) => s.schedule(Promise.resolve(batch.map(f)), 'batch'),
        strategy: strategy.spec,
        maxInFlight,
        clock: new ShuffledClock(s),
        ordering: 'preserve',
      });
      const consume = async (): Promise<void> => {
        for await (const outcome of stream) {
          received += outcome.items.length;
          // A slow consumer: the engine keeps running while it holds this batch.
          if (dawdle) await s.schedule(Promise.resolve(), 'consumer');
        }
      };
      await s.waitFor(consume());
      expect(Math.max(0, ...ahead)).toBeLessThanOrEqual(bound);
      expect(received).toBe(items.length);
      expect(state.pulled).toBe(items.length);
    },
  );

  test.prop([fc.scheduler(), itemsArb, strategyArb, fc.integer({ min: 1, max: 4 }), fc.boolean()], { numRuns: RUNS })(
    'preserve returns results in source order whatever the completion order',
    async (s, items, strategy, maxInFlight, sync) => {
      const { iterable } = source(s, items, sync, () => {});
      const run = await s.waitFor(
        dispatchBatches(iterable, {
          executor: (batch) => s.schedule(Promise.resolve(batch.map(f)), 'batch'),
          strategy: strategy.spec,
          maxInFlight,
          clock: new ShuffledClock(s),
        }),
      );
      expect(run.results).toEqual(items.map((item, index) => ({ index, item, result: f(item) })));
      expect(run.batches.map((b) => b.batchIndex)).toEqual(range(run.batches.length));
    },
  );

  type Behaviour = 'ok' | 'throw' | 'short' | 'sparse' | 'empty' | 'hang';
  const policyArb: fc.Arbitrary<{ policy: BatchErrorPolicy<number>; attempts: number }> = fc
    .record({
      final: fc.constantFrom('halt' as const, 'skip' as const, 'route' as const),
      routeThrows: fc.boolean(),
      attempts: fc.integer({ min: 1, max: 3 }),
    })
    .map(({ final, routeThrows, attempts }) => {
      const then =
        final === 'route'
          ? {
              route: (failure: { batchIndex: number }) => {
                if (routeThrows && failure.batchIndex % 3 === 2) throw new Error('route down');
                return `routed ${failure.batchIndex}`;
              },
            }
          : final;
      const policy: BatchErrorPolicy<number> = attempts === 1 ? then : { retry: { attempts, backoff: { initialMs: 5 }, then } };
      return { policy, attempts };
    });

  test.prop(
    [
      fc.scheduler(),
      itemsArb,
      strategyArb,
      fc.integer({ min: 1, max: 4 }),
      policyArb,
      fc.func(fc.constantFrom<Behaviour>('ok', 'ok', 'ok', 'throw', 'short', 'sparse', 'empty', 'hang')),
      fc.option(fc.integer({ min: 0, max: 8 })),
      fc.boolean(),
      fc.constantFrom('preserve' as const, 'as-completed' as const),
    ],
    { numRuns: RUNS },
  )(
    'every item ends in exactly one of result, skipped, routed or the error, each result names its own item; retries stay bounded',
    async (s, items, strategy, maxInFlight, { policy, attempts }, behaviour, abortAfterCalls, viaStream, ordering) => {
      const controller = new AbortController();
      const calls = new Map<number, number>();
      let totalCalls = 0;
      const executor: BatchExecutor<number, string> = (batch, { batchIndex, attempt }) => {
        calls.set(batchIndex, (calls.get(batchIndex) ?? 0) + 1);
        expect(attempt).toBe(calls.get(batchIndex));
        if (++totalCalls === abortAfterCalls) void s.schedule(Promise.resolve(), 'abort').then(() => controller.abort('stop'));
        switch (behaviour(batchIndex, attempt)) {
          case 'ok':
            return s.schedule(Promise.resolve(batch.map(f)), 'ok');
          case 'short':
            return s.schedule(Promise.resolve(batch.map(f).slice(1)), 'short');
          case 'sparse': {
            // The right length with one hole, placed by the batch and attempt.
            const results = batch.map(f);
            delete results[(batchIndex + attempt) % results.length];
            return s.schedule(Promise.resolve(results), 'sparse');
          }
          case 'empty':
            return s.schedule(Promise.resolve(new Array<string>(batch.length)), 'empty');
          case 'throw':
            return s.schedule(Promise.resolve(), 'throw').then(() => Promise.reject(new Error('boom')));
          case 'hang':
            return new Promise<string[]>(() => {});
        }
      };
      const counting = new CountingSource(items);
      const options = {
        executor,
        strategy: strategy.spec,
        maxInFlight,
        ordering,
        onError: policy,
        timeout: 1000,
        clock: new ShuffledClock(s),
        signal: controller.signal,
      };
      // Through the stream, what was yielded is the consumer's and the error's partial holds the rest.
      const yielded: BatchOutcome<number, string>[] = [];
      const consume = async (): Promise<BatchRunResult<number, string>> => {
        for await (const batch of streamBatches(counting, options)) yielded.push(batch);
        return { runId: '', results: [], batches: [], skipped: [], routed: [] };
      };
      const outcome = await s.waitFor(viaStream ? consume() : dispatchBatches(counting, options)).then(
        (run) => ({ run, error: undefined }),
        (error: unknown) => ({ run: undefined, error }),
      );
      const owners = new Map<number, string>();
      const claim = (indices: number[], owner: string): void => {
        for (const index of indices) {
          expect(owners.get(index), `item ${index} claimed by ${owners.get(index)} and ${owner}`).toBeUndefined();
          owners.set(index, owner);
        }
      };
      const claimBatches = (batches: BatchOutcome<number, string>[]): void => {
        for (const batch of batches) {
          claim(batch.indices, batch.status);
          expect(batch.items).toEqual(batch.indices.map((i) => items[i]));
          if (batch.status === 'succeeded') expect(batch.results).toEqual(batch.items.map(f));
          expect(batch.attempts).toBe(calls.get(batch.batchIndex));
        }
      };

      // Every result sits with its own item, once for each item of a succeeded batch (in source order under preserve).
      const checkResults = (run: BatchRunResult<number, string>): void => {
        const succeeded = run.batches.flatMap((b) => (b.status === 'succeeded' ? b.indices : []));
        expect([...run.results.map((r) => r.index)].sort((a, b) => a - b)).toEqual(succeeded.sort((a, b) => a - b));
        for (const { index, item, result } of run.results) {
          expect(item).toBe(items[index]);
          expect(result).toBe(f(items[index]!));
        }
        if (ordering === 'preserve') expect(run.results.map((r) => r.index)).toEqual(succeeded);
      };

      claimBatches(yielded);
      if (outcome.run !== undefined) {
        claimBatches(outcome.run.batches);
        checkResults(outcome.run);
        expect(counting.exhausted).toBe(true);
      } else {
        const error = outcome.error;
        if (!(error instanceof BatchHaltError) && !(error instanceof BatchAbortedError)) throw error;
        claimBatches(error.partial.batches);
        checkResults(error.partial);
        if (error instanceof BatchHaltError && error.batch !== undefined) {
          claim(error.batch.indices, 'halt');
          expect(error.batch.attempts).toBe(calls.get(error.batch.batchIndex));
        }
        claim(error.unfinished.indices, 'unfinished');
        expect(counting.returned || counting.exhausted).toBe(true);
      }
      expect([...owners.keys()].sort((a, b) => a - b)).toEqual(range(counting.pulled));
      for (const count of calls.values()) expect(count).toBeLessThanOrEqual(attempts);
    },
  );
});
