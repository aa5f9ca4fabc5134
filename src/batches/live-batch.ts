import type { Subscription } from 'rxjs';
import { createBatchActor, type BatchActor } from '../actors/batch-actor.js';
import type { BatchInput, BatchState } from '../machines/batch.js';
import type { Clock } from '../runtime/clock.js';
import type { Inspector } from '../actors/inspector.js';
import { RunningAttempt, type AttemptEnd } from './attempt.js';
import { BatchLengthError, errorText } from './errors.js';
import { isPromiseLike } from './source.js';
import type { GroupedItems } from './strategies/strategy.js';
import type { BatchExecutor, BatchFailure, BatchOutcome, BatchRouteHandler } from './types.js';

/** What a batch needs from its run. */
export interface BatchHost<T, R> {
  readonly runId: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly execute: BatchExecutor<T, R>;
  readonly timeoutMs: number | undefined;
  readonly route: BatchRouteHandler<T> | undefined;
  readonly policy: Omit<BatchInput, 'index' | 'size'>;
  readonly inspect: Inspector | undefined;
  /** The batch reached `succeeded`, `skipped`, `routed` or `failed`. */
  settled(batch: LiveBatch<T, R>): void;
}

/**
 * One batch of a run: its XState actor (the state of record, visible to inspection) and
 * the I/O the machine asks for — the executor call, the retry timer, the route handler.
 */
export class LiveBatch<T, R> {
  private readonly actor: BatchActor;
  private attempt: RunningAttempt<T, R> | undefined;
  private retryTimer: Subscription | undefined;
  private results: R[] = [];
  private routed: unknown;
  /** The last attempt's error, as thrown (the machine keeps only its text). */
  error: unknown;
  /** What the route handler threw, when it did. */
  private routeError: { error: unknown } | undefined;

  constructor(
    readonly index: number,
    readonly group: GroupedItems<T>,
    private readonly host: BatchHost<T, R>,
  ) {
    this.actor = createBatchActor(host.runId, { ...host.policy, index, size: group.items.length }, host.inspect);
  }

  get state(): BatchState {
    return this.actor.getSnapshot().value as BatchState;
  }

  get attempts(): number {
    return this.actor.getSnapshot().context.attempts;
  }

  start(): void {
    this.actor.start();
    this.actor.send({ type: 'START' });
    this.advance();
  }

  /** Stops whatever the batch is doing; its executor's signal aborts with `reason`. */
  cancel(reason: unknown): void {
    this.attempt?.abort(reason);
    this.attempt = undefined;
    this.retryTimer?.unsubscribe();
    this.retryTimer = undefined;
    this.actor.send({ type: 'CANCEL' });
  }

  /** How the batch ended; only for `succeeded`, `skipped` and `routed`. */
  outcome(): BatchOutcome<T, R> {
    switch (this.state) {
      case 'succeeded':
        return { ...this.base(), status: 'succeeded', results: this.results };
      case 'routed':
        return { ...this.failure(), status: 'routed', routed: this.routed };
      default:
        return { ...this.failure(), status: 'skipped' };
    }
  }

  /** Why the run halts on this `failed` batch: its last error, or its route handler's. */
  haltReason(): { message: string; cause: unknown } {
    if (this.routeError !== undefined) {
      const cause = this.routeError.error;
      return { message: `batch ${this.index}: the route handler failed: ${errorText(cause)}`, cause };
    }
    const attempts = this.attempts;
    const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    return { message: `batch ${this.index} failed after ${tries}: ${errorText(this.error)}`, cause: this.error };
  }

  failure(): BatchFailure<T> {
    return { ...this.base(), error: this.error };
  }

  private base(): Omit<BatchFailure<T>, 'error'> {
    const { items, indices, key } = this.group;
    return {
      batchIndex: this.index,
      items,
      indices,
      ...(key !== undefined ? { key } : {}),
      attempts: this.attempts,
    };
  }

  /** Does what the machine's new state asks for. */
  private advance(): void {
    switch (this.state) {
      case 'running':
        return this.runAttempt();
      case 'retry':
        return this.scheduleRetry();
      case 'routing':
        return this.callRoute();
      case 'succeeded':
      case 'skipped':
      case 'routed':
      case 'failed':
        return this.host.settled(this);
      case 'queued':
      case 'cancelled':
        return;
    }
  }

  private runAttempt(): void {
    const { items, indices, key } = this.group;
    const context = {
      batchIndex: this.index,
      attempt: this.attempts,
      indices,
      ...(key !== undefined ? { key } : {}),
    };
    const { execute, timeoutMs, clock } = this.host;
    const attempt = new RunningAttempt<T, R>({ execute, items, context, timeoutMs, clock }, (end) => {
      if (this.attempt !== attempt) return;
      this.attempt = undefined;
      this.attemptEnded(end);
    });
    this.attempt = attempt;
    attempt.start();
  }

  private attemptEnded(end: AttemptEnd<R>): void {
    const at = this.host.clock.now();
    const random = this.host.random();
    if (end.kind === 'results') {
      const size = this.group.items.length;
      const count = end.results.length;
      // A sparse array passes the length check yet leaves items without a result.
      const holes = count === size ? holesOf(end.results) : [];
      if (count === size && holes.length === 0) this.results = end.results;
      else this.error = new BatchLengthError(this.index, size, count, holes);
      this.actor.send({ type: 'SUCCEEDED', count, holes: holes.length, at, random });
    } else {
      this.error = end.error;
      const reason = end.kind === 'timeout' ? 'timeout' : 'error';
      this.actor.send({ type: 'FAILED', reason, error: errorText(end.error), at, random });
    }
    this.advance();
  }

  private scheduleRetry(): void {
    const retryAt = this.actor.getSnapshot().context.retryAt ?? this.host.clock.now();
    const delay = Math.max(0, retryAt - this.host.clock.now());
    this.retryTimer = this.host.clock.schedule(() => {
      this.retryTimer = undefined;
      this.actor.send({ type: 'RETRY_DUE' });
      this.advance();
    }, delay);
  }

  private callRoute(): void {
    const route = this.host.route;
    const routeFailed = (error: unknown): void => {
      if (this.state !== 'routing') return;
      this.routeError = { error };
      this.actor.send({ type: 'ROUTE_FAILED', error: errorText(error) });
      this.advance();
    };
    let returned: unknown;
    try {
      if (route === undefined) throw new TypeError('no route handler');
      returned = route(this.failure());
    } catch (error) {
      routeFailed(error);
      return;
    }
    const routed = (value: unknown): void => {
      if (this.state !== 'routing') return;
      this.routed = value;
      this.actor.send({ type: 'ROUTED' });
      this.advance();
    };
    if (isPromiseLike(returned)) Promise.resolve(returned).then(routed, routeFailed);
    else routed(returned);
  }
}

/** Positions of `array` that hold no element (`undefined` stored in a slot is an element). */
function holesOf(array: readonly unknown[]): number[] {
  const holes: number[] = [];
  for (let i = 0; i < array.length; i++) if (!Object.hasOwn(array, i)) holes.push(i);
  return holes;
}
