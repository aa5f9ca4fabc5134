/** Anything the batch runtime can pull items from. */
export type BatchSource<T> = Iterable<T> | AsyncIterable<T>;

/**
 * Pulls a source one item at a time, opening its iterator on the first pull. A synchronous
 * source answers synchronously, so a run over an array never waits a tick per item.
 */
export class SourcePuller<T> {
  private iterator: Iterator<T> | AsyncIterator<T> | undefined;
  private finished = false;

  constructor(private readonly source: BatchSource<T>) {
    checkSource(source);
  }

  /** The next item; a promise only for an asynchronous source. */
  next(): IteratorResult<T> | Promise<IteratorResult<T>> {
    const iterator = (this.iterator ??= open(this.source));
    const result = iterator.next();
    if (isPromiseLike(result)) return Promise.resolve(result).then((r) => this.seen(r));
    return this.seen(result);
  }

  /**
   * Stops the source early: calls its iterator's `return()` (so a generator runs its
   * `finally`), once, unless the source already ended or was never opened. Never throws.
   */
  close(): void {
    const iterator = this.iterator;
    if (iterator === undefined || this.finished) return;
    this.finished = true;
    try {
      const closing: unknown = iterator.return?.();
      if (isPromiseLike(closing)) Promise.resolve(closing).catch(() => {});
    } catch {
      // The run is already stopping; a source that fails to close has nothing left to tell it.
    }
  }

  private seen(result: IteratorResult<T>): IteratorResult<T> {
    if (typeof result !== 'object' || result === null) {
      throw new TypeError(`batches: the source's iterator returned ${String(result)}; expected { done, value }`);
    }
    if (result.done === true) this.finished = true;
    return result;
  }
}

/** Throws a one-line `TypeError` unless `source` is an Iterable or an AsyncIterable. */
export function checkSource(source: unknown): void {
  if (!isAsyncIterable(source) && !isIterable(source)) {
    throw new TypeError('batches: the source must be an Iterable or an AsyncIterable');
  }
}

function open<T>(source: BatchSource<T>): Iterator<T> | AsyncIterator<T> {
  return isAsyncIterable(source) ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
}

function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return value !== null && value !== undefined && typeof (value as AsyncIterable<T>)[Symbol.asyncIterator] === 'function';
}

function isIterable<T>(value: unknown): value is Iterable<T> {
  return value !== null && value !== undefined && typeof (value as Iterable<T>)[Symbol.iterator] === 'function';
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
