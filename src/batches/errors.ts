import { lengthText } from '../machines/batch.js';
import type { BatchFailure, BatchRunResult, UnfinishedItems } from './types.js';

/** An attempt of a batch ran past the run's `timeout`; its signal was aborted. */
export class BatchTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    readonly batchIndex: number,
    readonly attempt: number,
    readonly timeoutMs: number,
  ) {
    super(`batch ${batchIndex} attempt ${attempt} timed out after ${timeoutMs} ms`);
  }
}

/**
 * The executor returned a different number of results than the batch had items, or an array
 * of the right length with holes (`delete a[1]`, `new Array(n)`): either way some item has
 * no result of its own.
 */
export class BatchLengthError extends Error {
  override readonly name = 'BatchLengthError';
  constructor(
    readonly batchIndex: number,
    readonly expected: number,
    /** The returned array's `length`. */
    readonly received: number,
    /** Positions in the returned array that hold no element. */
    readonly holes: readonly number[] = [],
  ) {
    const at = holes.length === 0 ? '' : ` (at ${holes.slice(0, 10).join(', ')}${holes.length > 10 ? ', …' : ''})`;
    super(`batch ${batchIndex}: ${lengthText(received, holes.length, expected)}${at}`);
  }
}

/**
 * The run stopped on an error: a batch failed under `halt` (or its route handler threw), or
 * the source or the strategy threw. `partial` holds every batch that finished before;
 * `unfinished` the items pulled and not finished (cancelled batches, groups not yet run).
 */
export class BatchHaltError<T = unknown, R = unknown> extends Error {
  override readonly name = 'BatchHaltError';
  constructor(
    message: string,
    override readonly cause: unknown,
    readonly partial: BatchRunResult<T, R>,
    readonly unfinished: UnfinishedItems<T>,
    /** The batch whose failure halted the run; absent when the source or the strategy failed. */
    readonly batch?: BatchFailure<T>,
  ) {
    super(message, { cause });
  }
}

/** The run's `signal` aborted. `cause` is the signal's reason. */
export class BatchAbortedError<T = unknown, R = unknown> extends Error {
  override readonly name = 'AbortError';
  constructor(
    override readonly cause: unknown,
    readonly partial: BatchRunResult<T, R>,
    readonly unfinished: UnfinishedItems<T>,
  ) {
    super(abortMessage(cause), { cause });
  }
}

function abortMessage(reason: unknown): string {
  if (typeof reason === 'string' && reason !== '') return `batches aborted (${reason})`;
  if (reason instanceof Error && reason.name !== 'AbortError' && reason.message !== '') {
    return `batches aborted (${reason.message})`;
  }
  return 'batches aborted';
}

/** The one-line text of any thrown value, for the batch machine's `lastError`. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message !== '' ? error.message : error.name;
  if (typeof error === 'string' && error !== '') return error;
  return `threw ${String(error)}`;
}
