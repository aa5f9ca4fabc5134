import type { Subscription } from 'rxjs';
import type { Clock } from '../runtime/clock.js';
import { BatchTimeoutError } from './errors.js';
import { isPromiseLike } from './source.js';
import type { BatchExecutor, BatchExecutorContext } from './types.js';

/** How an attempt ended: the executor's results (of any length), what it threw, or the timeout. */
export type AttemptEnd<R> =
  | { kind: 'results'; results: R[] }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout'; error: BatchTimeoutError };

export interface AttemptSpec<T, R> {
  execute: BatchExecutor<T, R>;
  items: T[];
  context: Omit<BatchExecutorContext, 'signal'>;
  timeoutMs: number | undefined;
  clock: Clock;
}

/**
 * One call of the executor for one batch, raced against the timeout on the run's clock.
 * `onEnd` is called exactly once unless the attempt is aborted first; whatever the executor
 * does after that (resolve late, reject late) is ignored.
 */
export class RunningAttempt<T, R> {
  private readonly controller = new AbortController();
  private timer: Subscription | undefined;
  private ended = false;

  constructor(
    private readonly spec: AttemptSpec<T, R>,
    private readonly onEnd: (end: AttemptEnd<R>) => void,
  ) {}

  start(): void {
    const { execute, items, context, timeoutMs, clock } = this.spec;
    if (timeoutMs !== undefined) this.timer = clock.schedule(() => this.timedOut(timeoutMs), timeoutMs);
    let returned: unknown;
    try {
      returned = execute(items, { ...context, signal: this.controller.signal });
    } catch (error) {
      this.end({ kind: 'error', error });
      return;
    }
    if (!isPromiseLike(returned)) {
      this.end(checked<R>(returned));
      return;
    }
    Promise.resolve(returned).then(
      (value) => this.end(checked<R>(value)),
      (error: unknown) => this.end({ kind: 'error', error }),
    );
  }

  /** Stops the attempt without an end: its signal aborts with `reason`. */
  abort(reason: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.timer?.unsubscribe();
    this.controller.abort(reason);
  }

  private timedOut(timeoutMs: number): void {
    const error = new BatchTimeoutError(this.spec.context.batchIndex, this.spec.context.attempt, timeoutMs);
    this.end({ kind: 'timeout', error });
    this.controller.abort(error);
  }

  private end(end: AttemptEnd<R>): void {
    if (this.ended) return;
    this.ended = true;
    this.timer?.unsubscribe();
    this.onEnd(end);
  }
}

function checked<R>(value: unknown): AttemptEnd<R> {
  if (Array.isArray(value)) return { kind: 'results', results: value as R[] };
  return { kind: 'error', error: new TypeError(`executor returned ${describe(value)}; expected an array of results`) };
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return typeof value;
}
