import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { BufferClosedError, DispatchBuffer, VirtualClock, type StartFailure } from '../../src/index.js';
import { settle } from '../support/virtual-run.js';

const RUNS = Number(process.env.BATON_PROPERTY_RUNS ?? 200);

type TryResult = 'ok' | 'transient' | 'permanent' | 'throws';

const tryResult = fc.constantFrom<TryResult>('ok', 'ok', 'transient', 'permanent', 'throws');

/** Per item: how each of its tries goes (the last entry repeats). */
const itemsArb = fc.array(fc.array(tryResult, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 25 });

describe('dispatch buffer under any interleaving of offers, starts and withdrawals', () => {
  test.prop(
    [
      fc.scheduler(),
      itemsArb,
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 3 }),
      fc.option(fc.nat(), { nil: undefined }),
      /** Items taken back at some point of the run (their attempt timed out, say). */
      fc.uniqueArray(fc.nat({ max: 24 }), { maxLength: 8 }),
    ],
    { numRuns: RUNS },
  )('loses and duplicates nothing, starts nothing withdrawn, with queued <= size and starting <= workers', async (s, items, size, workers, closeAfter, withdrawals) => {
    const clock = new VirtualClock();
    const tries = new Map<number, number>();
    const ended = new Map<number, string[]>();
    const end = (item: number, how: string): void => void ended.set(item, [...(ended.get(item) ?? []), how]);
    const violations: string[] = [];
    const buffer: DispatchBuffer<number> = new DispatchBuffer<number>({
      size,
      workers,
      clock,
      start: (item) => {
        const n = (tries.get(item) ?? 0) + 1;
        tries.set(item, n);
        if ((ended.get(item) ?? []).length > 0) violations.push(`item ${item} started again after it ended`);
        const plan = items[item]!;
        const result = plan[Math.min(n, plan.length) - 1]!;
        if (result === 'throws') throw new Error(`start ${item} threw`);
        const failure: StartFailure | undefined =
          result === 'ok' ? undefined : { permanent: result === 'permanent', error: `${result} ${item}` };
        return s.schedule(Promise.resolve(failure), `start ${item}#${n}`).then((f) => {
          if (f === undefined) end(item, 'started');
          return f;
        });
      },
      startFailed: (item, _failure, info) => {
        if (info.retryInMs === undefined) end(item, 'failed');
      },
      depthChanged: (queued, starting) => {
        if (queued > size) violations.push(`queued ${queued} > size ${size}`);
        if (starting > workers) violations.push(`starting ${starting} > workers ${workers}`);
      },
    });

    const accepted = new Set<number>();
    let closing: Promise<void> | undefined;
    const offerAll = s.scheduleSequence(
      items.map((_, item) => ({
        label: `offer ${item}`,
        builder: async () => {
          if (closeAfter !== undefined && item === closeAfter % items.length) closing = buffer.close();
          const full = buffer.queued >= size;
          try {
            const taken = buffer.offer(item);
            if (taken) accepted.add(item);
            if (taken === full || buffer.isClosed) violations.push(`offer ${item} answered ${taken} with the queue ${full ? 'full' : 'not full'}`);
          } catch (error) {
            if (!(error instanceof BufferClosedError) || !buffer.isClosed) throw error;
          }
        },
      })),
    );

    for (const item of withdrawals) {
      void s.schedule(Promise.resolve(), `withdraw ${item}`).then(() => {
        if (buffer.withdraw(item)) end(item, 'withdrawn');
      });
    }

    for (let step = 0; step < 10_000; step++) {
      await settle();
      if (s.count() > 0) await s.waitOne();
      else if (!clock.runNext() && offerAll.done) break;
    }
    await (closing ?? buffer.close());

    expect(violations).toEqual([]);
    expect(offerAll.faulty).toBe(false);
    for (const item of accepted) expect(ended.get(item), `item ${item}`).toHaveLength(1);
    for (const item of ended.keys()) expect(accepted.has(item)).toBe(true);
    expect(buffer.queued).toBe(0);
    expect(buffer.starting).toBe(0);
  });
});
