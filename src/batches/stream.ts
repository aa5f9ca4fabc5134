import { Observable, observable as interopKey, type Subscriber, type TeardownLogic } from 'rxjs';
import type { BatchAbortedError, BatchHaltError } from './errors.js';
import { resolveBatchOptions, type BatchRunConfig } from './options.js';
import { OrderBuffer } from './order-buffer.js';
import { BatchRun } from './run.js';
import { checkSource, type BatchSource } from './source.js';
import type { BatchOptions, BatchOutcome } from './types.js';

/**
 * The outcomes of a fan-out run, one per batch, as they become available: an async iterable,
 * and an RxJS observable (`.observable`, or `from(stream)`). The run starts when the stream is
 * first iterated or subscribed to, and a stream is consumed once. Leaving early (`break`,
 * `unsubscribe`) cancels the batches in flight and closes the source.
 *
 * A batch handed out stays held, for the bound of `maxInFlight × batchSize` items, until the
 * iterator is asked for the next one: a slow consumer slows the source down. Nothing is kept
 * once yielded, so the `partial` of a halt or abort error holds only the batches that
 * finished and were not yielded.
 */
export class BatchStream<T, R> implements AsyncIterable<BatchOutcome<T, R>> {
  readonly runId: string;
  readonly observable: Observable<BatchOutcome<T, R>>;
  private consumed = false;

  constructor(
    private readonly source: BatchSource<T>,
    private readonly config: BatchRunConfig<T, R>,
  ) {
    this.runId = config.runId;
    this.observable = new Observable((subscriber) => this.subscribe(subscriber));
    // rxjs `from()` looks for this key (Symbol.observable where it exists, else "@@observable").
    Object.defineProperty(this, interopKey, { value: () => this.observable });
  }

  [Symbol.asyncIterator](): AsyncIterator<BatchOutcome<T, R>> {
    this.claim();
    return new StreamIterator(this.source, this.config);
  }

  private subscribe(subscriber: Subscriber<BatchOutcome<T, R>>): TeardownLogic {
    this.claim();
    const order = new OrderBuffer<BatchOutcome<T, R>>(this.config.ordering, (outcome) => {
      run.delivered(outcome);
      subscriber.next(outcome);
      run.release(outcome.items.length);
    });
    const run = new BatchRun(this.source, this.config, {
      outcome: (outcome) => order.push(outcome),
      end: () => subscriber.complete(),
      fail: (error) => subscriber.error(error),
    });
    run.start();
    return () => run.cancel();
  }

  private claim(): void {
    if (this.consumed) throw new Error('batches: a batch stream can be consumed once (iterate it or subscribe to it, once)');
    this.consumed = true;
  }
}

/** Runs the batches of `source` and yields their outcomes; see {@link BatchStream}. */
export function streamBatches<T, R = unknown>(source: BatchSource<T>, options: BatchOptions<T, R>): BatchStream<T, R> {
  checkSource(source);
  return new BatchStream(source, resolveBatchOptions(options));
}

interface Waiter<O> {
  resolve(result: IteratorResult<O>): void;
  reject(error: unknown): void;
}

class StreamIterator<T, R> implements AsyncIterator<BatchOutcome<T, R>> {
  private readonly run: BatchRun<T, R>;
  private readonly queue: BatchOutcome<T, R>[] = [];
  private readonly waiters: Waiter<BatchOutcome<T, R>>[] = [];
  /** Items of outcomes handed out and not yet released: the consumer has them until it asks for more. */
  private givenItems = 0;
  private started = false;
  private ended = false;
  private failure: { error: BatchHaltError<T, R> | BatchAbortedError<T, R> } | undefined;

  constructor(source: BatchSource<T>, config: BatchRunConfig<T, R>) {
    const order = new OrderBuffer<BatchOutcome<T, R>>(config.ordering, (outcome) => this.deliver(outcome));
    this.run = new BatchRun(source, config, {
      outcome: (outcome) => order.push(outcome),
      end: () => this.finish(),
      fail: (error) => this.fail(error),
    });
  }

  next(): Promise<IteratorResult<BatchOutcome<T, R>>> {
    if (this.givenItems > 0) {
      const given = this.givenItems;
      this.givenItems = 0;
      this.run.release(given);
    }
    if (!this.started) {
      this.started = true;
      this.run.start();
    }
    const outcome = this.queue.shift();
    if (outcome !== undefined) return Promise.resolve(this.give(outcome));
    if (this.failure !== undefined) {
      const { error } = this.failure;
      this.failure = undefined;
      this.ended = true;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<BatchOutcome<T, R>>> {
    this.ended = true;
    this.failure = undefined;
    this.queue.length = 0;
    this.run.cancel();
    this.settleWaiters();
    return Promise.resolve({ done: true, value: undefined });
  }

  private give(outcome: BatchOutcome<T, R>): IteratorResult<BatchOutcome<T, R>> {
    this.run.delivered(outcome);
    this.givenItems += outcome.items.length;
    return { done: false, value: outcome };
  }

  private deliver(outcome: BatchOutcome<T, R>): void {
    if (this.ended) return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter.resolve(this.give(outcome));
    else this.queue.push(outcome);
  }

  private finish(): void {
    this.ended = true;
    this.settleWaiters();
  }

  private fail(error: BatchHaltError<T, R> | BatchAbortedError<T, R>): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.failure = { error };
      return;
    }
    this.ended = true;
    waiter.reject(error);
    this.settleWaiters();
  }

  private settleWaiters(): void {
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ done: true, value: undefined });
  }
}
