import type { BackoffPolicy } from '../machines/types.js';
import type { Clock } from '../runtime/clock.js';
import type { Inspector } from '../actors/inspector.js';
import type { Score } from '../score/types.js';
import type { BatchStrategySpec } from './strategies/resolve.js';

/** What an executor learns about the batch it runs. */
export interface BatchExecutorContext {
  /** Aborts when the attempt times out, the run is aborted or halted, or its consumer leaves. */
  signal: AbortSignal;
  /** 0-based position of the batch in the run, in the order batches were formed. */
  batchIndex: number;
  /** 1-based attempt number of this batch. */
  attempt: number;
  /** 0-based positions of the batch's items in the source, in the batch's order. */
  indices: number[];
  /** The group's key, for batches formed by a key strategy. */
  key?: string;
}

/**
 * Runs one batch: returns exactly one result per item, in the items' order. Returning a
 * different number of results, or an array with holes, fails the attempt (never a silent
 * truncation).
 */
export type BatchExecutor<T, R> = (items: T[], context: BatchExecutorContext) => R[] | Promise<R[]>;

/**
 * Each batch runs as one attempt of an instrument of a score. A function instrument gets the
 * items as JSON in `ctx.vars.batch` and returns them in `output` (an array); a command
 * instrument finds them in the JSON file named by `BATON_BATCH_FILE` and prints a JSON array
 * on stdout.
 */
export interface ScoreInstrumentExecutor {
  score: Score;
  /** Name of an instrument of `score`. */
  instrument: string;
  /** Passed to the instrument as the attempt's model. */
  model?: string;
}

/** A batch that failed for good, as the route handler and the error reports see it. */
export interface BatchFailure<T> {
  batchIndex: number;
  items: T[];
  indices: number[];
  key?: string;
  /** Attempts made. */
  attempts: number;
  /** The last attempt's error: what the executor threw, a `BatchTimeoutError` or a `BatchLengthError`. */
  error: unknown;
}

/**
 * Takes a failed batch somewhere else (a dead-letter queue, a log, a slower path). What it
 * returns (or resolves to) is kept as `routed` in the batch's outcome; if it throws, the
 * run halts.
 */
export type BatchRouteHandler<T> = (failure: BatchFailure<T>) => unknown;

/** What to do with a batch once its attempts are exhausted. */
export type BatchFinalPolicy<T> = 'halt' | 'skip' | { route: BatchRouteHandler<T> };

export interface BatchRetryPolicy<T> {
  /** Attempts per batch, the first included. `{ attempts: 3 }` retries a failing batch twice. */
  attempts: number;
  /**
   * Delay before each retry: `min(maxMs, initialMs × factor^(n−1))` after the n-th failure,
   * spread by ±`jitter`, on the run's clock.
   * @default { initialMs: 1000, factor: 2, maxMs: 30000, jitter: 0 }
   */
  backoff?: Partial<BackoffPolicy>;
  /**
   * What happens once every attempt failed.
   * @default 'halt'
   */
  then?: BatchFinalPolicy<T>;
}

/**
 * `halt`: the first failed batch stops the run; `skip`: the batch's items are reported as
 * skipped; `{ route }`: the failed batch goes to the handler; `{ retry }`: attempt again
 * after a backoff, then apply `retry.then`.
 */
export type BatchErrorPolicy<T> = BatchFinalPolicy<T> | { retry: BatchRetryPolicy<T> };

export type BatchOrdering = 'preserve' | 'as-completed';

export interface BatchOptions<T, R> {
  /** A function run once per batch attempt, or an instrument of a score. */
  executor: BatchExecutor<T, R> | ScoreInstrumentExecutor;
  /**
   * How items are grouped: `{ size }`, `{ key, size?, flushAfter? }`,
   * `{ weight, maxWeight, maxItems? }`, or your own `BatchStrategy`.
   * @example { size: 32 }
   */
  strategy: BatchStrategySpec<T>;
  /**
   * Batches running at once (a batch waiting for its retry holds its slot). The run holds at
   * most `maxInFlight × strategy.batchSize` items pulled from the source and not yet handed out.
   * @default 4
   */
  maxInFlight?: number;
  /**
   * `preserve`: `streamBatches` yields batches in the order they were formed, and
   * `dispatchBatches` returns `results` in source order; `as-completed`: as batches finish.
   * @default 'preserve'
   */
  ordering?: BatchOrdering;
  /** @default 'halt' */
  onError?: BatchErrorPolicy<T>;
  /**
   * Per attempt: milliseconds, or a duration string such as `"30s"`. An attempt still running
   * then is aborted and fails with a `BatchTimeoutError`. A score executor defaults to its
   * instrument's `timeout`.
   */
  timeout?: number | string;
  /** Cancels the whole run: executors see their signal abort, the source is closed. */
  signal?: AbortSignal;
  /**
   * Timer source for timeouts, retry backoff and `flushAfter`. Pass a `VirtualClock` to run in virtual time.
   * @default rxjs `asyncScheduler` (real time)
   */
  clock?: Clock;
  /**
   * Source of randomness for backoff jitter, returning [0, 1).
   * @default Math.random
   */
  random?: () => number;
  /** Receives XState inspection events of every batch actor (ids `batches/<runId>/<batchIndex>`). */
  inspect?: Inspector;
  /**
   * Names the run in actor ids and in a score executor's output folder.
   * @default a random id
   */
  runId?: string;
}

interface BatchOutcomeBase<T> {
  batchIndex: number;
  items: T[];
  /** 0-based positions of the items in the source. */
  indices: number[];
  key?: string;
  /** Attempts made. */
  attempts: number;
}

export interface SucceededBatch<T, R> extends BatchOutcomeBase<T> {
  status: 'succeeded';
  /** One per item, in the items' order. */
  results: R[];
}

export interface SkippedBatch<T> extends BatchOutcomeBase<T> {
  status: 'skipped';
  error: unknown;
}

export interface RoutedBatch<T> extends BatchOutcomeBase<T> {
  status: 'routed';
  error: unknown;
  /** What the route handler returned. */
  routed: unknown;
}

/** How one batch ended; `streamBatches` yields these. */
export type BatchOutcome<T, R> = SucceededBatch<T, R> | SkippedBatch<T> | RoutedBatch<T>;

/**
 * One item's result, with the item it belongs to: `index` is the item's 0-based position in
 * the source, so a result is never matched to an item by its place in `results`.
 */
export interface BatchItemResult<T, R> {
  index: number;
  item: T;
  /** What the executor returned for this item. */
  result: R;
}

/** What `dispatchBatches` resolves to (and what a halt or abort error carries as `partial`). */
export interface BatchRunResult<T, R> {
  runId: string;
  /**
   * One entry per item of every succeeded batch, each naming its item: by `index` (source
   * order) under `preserve`, else batch by batch in completion order. Items of skipped and
   * routed batches have no entry here, so after a skip `results[i]` is not item `i`: read `index`.
   */
  results: BatchItemResult<T, R>[];
  /** Every finished batch: by batch index under `preserve`, else in completion order. */
  batches: BatchOutcome<T, R>[];
  skipped: SkippedBatch<T>[];
  routed: RoutedBatch<T>[];
}

/** Items the run had pulled and not finished when it stopped. */
export interface UnfinishedItems<T> {
  items: T[];
  indices: number[];
}
