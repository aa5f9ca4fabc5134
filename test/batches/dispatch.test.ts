import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { dispatchBatches, VirtualClock, type BatchExecutor } from '../../src/index.js';
import { runVirtual } from '../support/virtual-run.js';
import { asyncSource, range, resultValues, sourceRecord } from './helpers.js';

const double: BatchExecutor<number, number> = (items) => items.map((n) => n * 2);

/** An executor that finishes batch i after `delay(i)` ms of virtual time. */
function delayed(clock: VirtualClock, delay: (batchIndex: number) => number): BatchExecutor<number, number> {
  return (items, { batchIndex }) =>
    new Promise((resolve) => clock.schedule(() => resolve(items.map((n) => n * 2)), delay(batchIndex)));
}

describe('dispatchBatches', () => {
  it('returns one result per item, in source order', async () => {
    const run = await dispatchBatches(range(10), { executor: double, strategy: { size: 3 } });
    expect(resultValues(run)).toEqual(range(10).map((n) => n * 2));
    expect(run.batches.map((b) => b.items)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    expect(run.skipped).toEqual([]);
    expect(run.routed).toEqual([]);
  });

  it('pulls an async iterable source to its end', async () => {
    const record = sourceRecord();
    const run = await dispatchBatches(asyncSource(range(7), record), { executor: double, strategy: { size: 2 } });
    expect(resultValues(run)).toEqual(range(7).map((n) => n * 2));
    expect(record).toEqual({ pulled: 7, exhausted: true, closed: true });
  });

  it('preserve gives source order even when later batches finish first', async () => {
    const clock = new VirtualClock();
    const executor = delayed(clock, (i) => 100 - i * 10);
    const run = await runVirtual(dispatchBatches(range(8), { executor, strategy: { size: 2 }, maxInFlight: 4, clock }), clock);
    expect(resultValues(run)).toEqual(range(8).map((n) => n * 2));
    expect(run.batches.map((b) => b.batchIndex)).toEqual([0, 1, 2, 3]);
  });

  it('as-completed gives batches in the order they finished', async () => {
    const clock = new VirtualClock();
    const executor = delayed(clock, (i) => 100 - i * 10);
    const run = await runVirtual(
      dispatchBatches(range(8), { executor, strategy: { size: 2 }, maxInFlight: 4, clock, ordering: 'as-completed' }),
      clock,
    );
    expect(run.batches.map((b) => b.batchIndex)).toEqual([3, 2, 1, 0]);
    expect(resultValues(run)).toEqual([12, 14, 8, 10, 4, 6, 0, 2]);
  });

  it('preserve puts the results of a key strategy back in source order', async () => {
    const items = ['a1', 'b1', 'a2', 'c1', 'b2', 'a3'];
    const run = await dispatchBatches(items, {
      executor: (batch) => batch.map((s) => s.toUpperCase()),
      strategy: { key: (s: string) => s[0]!, size: 2 },
    });
    expect(resultValues(run)).toEqual(['A1', 'B1', 'A2', 'C1', 'B2', 'A3']);
    expect(run.batches.map((b) => [b.key, b.items])).toEqual([
      ['a', ['a1', 'a2']],
      ['b', ['b1', 'b2']],
      // Left-over groups run at the source's end, oldest group first.
      ['c', ['c1']],
      ['a', ['a3']],
    ]);
  });

  describe('options', () => {
    it.each([
      [{ maxInFlight: 0 }, 'batches: maxInFlight must be an integer >= 1, got 0'],
      [{ strategy: { size: 1.5 } }, 'batches: strategy.size must be an integer >= 1, got 1.5'],
      [{ ordering: 'random' }, `batches: ordering must be 'preserve' or 'as-completed', got "random"`],
      [{ timeout: 'soon' }, 'batches: timeout must be milliseconds (a number >= 0) or a duration such as "30s", got "soon"'],
      [{ onError: { retry: { attempts: 0 } } }, 'batches: onError.retry.attempts must be an integer >= 1, got 0'],
      [{ executor: 42 }, 'batches: executor must be a function (items, context) => results, or { score, instrument }'],
    ])('rejects %o with a one-line error', async (bad, message) => {
      const options = { executor: double, strategy: { size: 1 }, ...bad } as Parameters<typeof dispatchBatches<number, number>>[1];
      await expect(dispatchBatches([1], options)).rejects.toThrow(new TypeError(message));
    });

    it('rejects a source that is not iterable', async () => {
      await expect(dispatchBatches(42 as unknown as number[], { executor: double, strategy: { size: 1 } })).rejects.toThrow(
        'batches: the source must be an Iterable or an AsyncIterable',
      );
    });
  });

  it('makes each batch an inspectable actor named batches/<runId>/<index>', async () => {
    const states = new Map<string, string[]>();
    const inspect = (event: InspectionEvent): void => {
      if (event.type !== '@xstate.snapshot') return;
      const value = (event.snapshot as { value?: unknown }).value;
      const id = (event.actorRef as unknown as { id: string }).id;
      const list = states.get(id) ?? [];
      list.push(String(value));
      states.set(id, list);
    };
    await dispatchBatches(range(4), {
      executor: (items, { batchIndex }) => (batchIndex === 1 ? Promise.reject(new Error('no')) : items),
      strategy: { size: 2 },
      onError: 'skip',
      runId: 'r1',
      inspect,
    });
    expect([...states.keys()].sort()).toEqual(['batches/r1/0', 'batches/r1/1']);
    expect(states.get('batches/r1/0')).toEqual(['queued', 'running', 'succeeded']);
    expect(states.get('batches/r1/1')).toEqual(['queued', 'running', 'skipped']);
  });
});
