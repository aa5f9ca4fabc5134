import type { BatchGrouper } from './strategies/strategy.js';
import type { BatchItemResult, BatchOrdering, BatchOutcome, BatchRunResult, RoutedBatch, SkippedBatch, UnfinishedItems } from './types.js';

/**
 * The run's result from its finished batches, given in completion order. Under `preserve`
 * batches go by batch index and results by source position (a key strategy's batches are
 * not contiguous, so batch order alone would not give source order).
 */
export function runResult<T, R>(
  runId: string,
  finished: readonly BatchOutcome<T, R>[],
  ordering: BatchOrdering,
): BatchRunResult<T, R> {
  const batches = ordering === 'preserve' ? [...finished].sort((a, b) => a.batchIndex - b.batchIndex) : [...finished];
  const skipped: SkippedBatch<T>[] = [];
  const routed: RoutedBatch<T>[] = [];
  const results: BatchItemResult<T, R>[] = [];
  for (const batch of batches) {
    if (batch.status === 'skipped') skipped.push(batch);
    else if (batch.status === 'routed') routed.push(batch);
    else batch.results.forEach((result, i) => results.push({ index: batch.indices[i]!, item: batch.items[i] as T, result }));
  }
  if (ordering === 'preserve') results.sort((a, b) => a.index - b.index);
  return { runId, results, batches, skipped, routed };
}

/** Items of a stopped run that have no outcome: `extra`, batches in flight, and every group left in the grouper (drained). */
export function unfinishedItems<T>(
  extra: UnfinishedItems<T> | undefined,
  inFlight: readonly UnfinishedItems<T>[],
  grouper: BatchGrouper<T>,
): UnfinishedItems<T> {
  const entries: { index: number; item: T }[] = [];
  const add = (group: UnfinishedItems<T>): void =>
    group.items.forEach((item, i) => entries.push({ index: group.indices[i]!, item }));
  if (extra !== undefined) add(extra);
  inFlight.forEach(add);
  for (let group = grouper.takeRemaining(); group !== undefined; group = grouper.takeRemaining()) add(group);
  entries.sort((a, b) => a.index - b.index);
  return { items: entries.map((e) => e.item), indices: entries.map((e) => e.index) };
}
