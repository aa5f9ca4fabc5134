import type { BatchAbortedError, BatchHaltError } from './errors.js';
import { resolveBatchOptions } from './options.js';
import { runResult } from './report.js';
import { BatchRun } from './run.js';
import type { BatchSource } from './source.js';
import type { BatchOptions, BatchOutcome, BatchRunResult } from './types.js';

/**
 * Groups the items of `source` into batches and runs each through the executor, at most
 * `maxInFlight` at a time, pulling the source only as slots free up. Resolves to every
 * result once the source is exhausted and every batch finished. Rejects with a
 * `BatchHaltError` (a batch failed under `halt`, or the source or strategy threw) or a
 * `BatchAbortedError` (the signal aborted), each carrying the partial result; bad options
 * reject with a one-line `TypeError`.
 */
export function dispatchBatches<T, R = unknown>(
  source: BatchSource<T>,
  options: BatchOptions<T, R>,
): Promise<BatchRunResult<T, R>> {
  return new Promise((resolve, reject: (error: BatchHaltError<T, R> | BatchAbortedError<T, R>) => void) => {
    const config = resolveBatchOptions(options);
    const finished: BatchOutcome<T, R>[] = [];
    const run = new BatchRun(source, config, {
      outcome: (outcome) => {
        finished.push(outcome);
        // Collected, so no longer held: only the executors bound how far the source is pulled.
        run.release(outcome.items.length);
      },
      end: () => resolve(runResult(config.runId, finished, config.ordering)),
      fail: reject,
    });
    run.start();
  });
}
