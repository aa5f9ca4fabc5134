import { DueTimer } from './due-timer.js';
import { BatchAbortedError, BatchHaltError, errorText } from './errors.js';
import { LiveBatch, type BatchHost } from './live-batch.js';
import type { BatchRunConfig } from './options.js';
import { runResult, unfinishedItems } from './report.js';
import { SourcePuller, type BatchSource } from './source.js';
import type { BatchGrouper, GroupedItems } from './strategies/strategy.js';
import type { BatchOutcome, BatchRunResult, UnfinishedItems } from './types.js';

/** Where a run hands what it produces. */
export interface BatchSink<T, R> {
  /** A batch finished (in completion order). Its items stay held until `release`d. */
  outcome(outcome: BatchOutcome<T, R>): void;
  /** The source ended and every batch finished. */
  end(): void;
  fail(error: BatchHaltError<T, R> | BatchAbortedError<T, R>): void;
}

/**
 * One fan-out run: pulls the source lazily, groups items with the strategy, and keeps at
 * most `maxInFlight` batches going. An item is held from the moment it is pulled until the
 * sink releases its batch, and the source is pulled only while a slot is free and fewer than
 * `maxInFlight × batchSize` items are held.
 */
export class BatchRun<T, R> {
  readonly runId: string;
  private state: 'idle' | 'running' | 'ended' = 'idle';
  private readonly puller: SourcePuller<T>;
  private readonly grouper: BatchGrouper<T>;
  private readonly bound: number;
  private readonly host: BatchHost<T, R>;
  private readonly inFlight = new Set<LiveBatch<T, R>>();
  /** Finished batches the consumer has not taken yet (all of them, for `dispatchBatches`): the `partial` of an error. */
  private readonly finished = new Set<BatchOutcome<T, R>>();
  private held = 0;
  private pendingItems = 0;
  private inFlightItems = 0;
  private pulled = 0;
  private batches = 0;
  private pulling = false;
  private sourceDone = false;
  private pumping = false;
  private pumpAgain = false;
  private readonly dueTimer: DueTimer;
  private readonly onAbort = (): void => this.abort();

  constructor(
    source: BatchSource<T>,
    private readonly config: BatchRunConfig<T, R>,
    private readonly sink: BatchSink<T, R>,
  ) {
    this.runId = config.runId;
    this.puller = new SourcePuller(source);
    this.grouper = config.strategy.createGrouper();
    this.bound = config.maxInFlight * config.strategy.batchSize;
    this.dueTimer = new DueTimer(config.clock, () => {
      if (this.state === 'running') this.pump();
    });
    const { runId, clock, random, execute, timeoutMs, route, inspect } = config;
    const policy = { maxAttempts: config.maxAttempts, exhausted: config.exhausted, backoff: config.backoff };
    this.host = { runId, clock, random, execute, timeoutMs, route, policy, inspect, settled: (batch) => this.settled(batch) };
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    const signal = this.config.signal;
    if (signal?.aborted) return this.abort();
    signal?.addEventListener('abort', this.onAbort);
    this.pump();
  }

  /** The sink is done with `items` items of finished batches: they no longer count as held. */
  release(items: number): void {
    this.held -= items;
    if (this.state === 'running') this.pump();
  }

  /** The consumer has this outcome: a later error's `partial` leaves it out. */
  delivered(outcome: BatchOutcome<T, R>): void {
    this.finished.delete(outcome);
  }

  /** The consumer went away: stop everything, quietly. */
  cancel(): void {
    this.stop('cancelled');
  }

  private get slotFree(): boolean {
    return this.inFlight.size < this.config.maxInFlight;
  }

  /** Everything that can happen now; re-entrant calls (a synchronous executor, a release) loop here instead. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.step();
      } while (this.pumpAgain && this.state === 'running');
    } catch (error) {
      // Only a custom strategy's methods can throw here.
      this.halt(`the strategy failed: ${errorText(error)}`, error);
    } finally {
      this.pumping = false;
    }
  }

  private step(): void {
    while (this.state === 'running') {
      if (this.slotFree) {
        const ready = this.grouper.takeReady(this.config.clock.now()) ?? (this.sourceDone ? this.grouper.takeRemaining() : undefined);
        if (ready !== undefined) {
          this.launch(ready);
          continue;
        }
      }
      if (this.sourceDone) {
        if (this.inFlight.size === 0 && this.pendingItems === 0) this.complete();
        return;
      }
      if (this.pulling || !this.slotFree) return this.armDueTimer();
      if (this.held >= this.bound) {
        // Nothing will be released by the consumer: run a partial group rather than stall.
        if (this.held === this.pendingItems + this.inFlightItems) {
          const forced = this.grouper.takeForBound();
          if (forced !== undefined) {
            this.launch(forced);
            continue;
          }
          if (this.inFlight.size === 0) {
            return this.halt(`the strategy holds ${this.pendingItems} items and releases no batch`, undefined);
          }
        }
        return this.armDueTimer();
      }
      if (!this.pull()) return this.armDueTimer();
    }
  }

  /** Pulls one item; false when the answer comes later (an asynchronous source). */
  private pull(): boolean {
    let next: IteratorResult<T> | Promise<IteratorResult<T>>;
    try {
      next = this.puller.next();
    } catch (error) {
      this.halt(`the source failed: ${errorText(error)}`, error);
      return false;
    }
    if (!(next instanceof Promise)) {
      this.received(next);
      return true;
    }
    this.pulling = true;
    next.then(
      (result) => {
        this.pulling = false;
        if (this.state !== 'running') return;
        this.received(result);
        this.pump();
      },
      (error: unknown) => {
        this.pulling = false;
        this.halt(`the source failed: ${errorText(error)}`, error);
      },
    );
    return false;
  }

  private received(result: IteratorResult<T>): void {
    if (result.done === true) {
      this.sourceDone = true;
      return;
    }
    const index = this.pulled++;
    this.held++;
    try {
      this.grouper.add(result.value, index, this.config.clock.now());
    } catch (error) {
      this.halt(errorText(error), error, { items: [result.value], indices: [index] });
      return;
    }
    this.pendingItems++;
  }

  private launch(group: GroupedItems<T>): void {
    const size = group.items.length;
    const limit = this.config.strategy.batchSize;
    if (size === 0 || size > limit || group.indices.length !== size) {
      const message = `the strategy formed a batch of ${size} items with ${group.indices.length} indices; a batch holds 1 to ${limit} items`;
      this.pendingItems -= size;
      return this.halt(message, new TypeError(`batches: ${message}`), group);
    }
    this.pendingItems -= size;
    this.inFlightItems += size;
    const batch = new LiveBatch(this.batches++, group, this.host);
    this.inFlight.add(batch);
    batch.start();
  }

  private settled(batch: LiveBatch<T, R>): void {
    if (this.state !== 'running' || !this.inFlight.delete(batch)) return;
    this.inFlightItems -= batch.group.items.length;
    if (batch.state === 'failed') {
      const { message, cause } = batch.haltReason();
      return this.stop('halted', (partial, unfinished) => new BatchHaltError(message, cause, partial, unfinished, batch.failure()));
    }
    const outcome = batch.outcome();
    this.finished.add(outcome);
    this.sink.outcome(outcome);
    this.pump();
  }

  private halt(message: string, cause: unknown, extra?: UnfinishedItems<T>): void {
    this.stop(
      'halted',
      (partial, unfinished) => new BatchHaltError(`batches: ${message}`, cause, partial, unfinished),
      extra,
    );
  }

  private abort(): void {
    const reason: unknown = this.config.signal?.reason;
    this.stop(reason, (partial, unfinished) => new BatchAbortedError(reason, partial, unfinished));
  }

  /** Ends the run early: every batch in flight is cancelled (its signal aborts with `reason`), the source is closed. */
  private stop(
    reason: unknown,
    error?: (partial: BatchRunResult<T, R>, unfinished: UnfinishedItems<T>) => BatchHaltError<T, R> | BatchAbortedError<T, R>,
    extra?: UnfinishedItems<T>,
  ): void {
    if (this.state !== 'running') return;
    this.state = 'ended';
    this.detach();
    const unfinished = unfinishedItems(extra, [...this.inFlight].map((batch) => batch.group), this.grouper);
    for (const batch of this.inFlight) batch.cancel(reason);
    this.inFlight.clear();
    this.puller.close();
    if (error !== undefined) this.sink.fail(error(runResult(this.runId, [...this.finished], this.config.ordering), unfinished));
  }

  private complete(): void {
    this.state = 'ended';
    this.detach();
    this.sink.end();
  }

  private detach(): void {
    this.config.signal?.removeEventListener('abort', this.onAbort);
    this.dueTimer.clear();
  }

  /** Wakes the run when a partial group comes due by age, if a slot could take it. */
  private armDueTimer(): void {
    if (this.state === 'running' && this.slotFree) this.dueTimer.set(this.grouper.nextDueAt?.());
  }
}
