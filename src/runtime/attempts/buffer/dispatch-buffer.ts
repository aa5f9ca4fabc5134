import type { Subscription } from 'rxjs';
import type { Clock } from '../../clock.js';
import { errorMessage } from '../../../util/error-message.js';

/** Why a start did not happen. */
export interface StartFailure {
  /** Trying again cannot help (the program does not exist): the item fails at once. */
  readonly permanent: boolean;
  /** One line, for the sheet's error and the `dispatch.start_error` event. */
  readonly error: string;
}

/**
 * How a transient start failure is tried again, on the buffer's clock. The wait after the
 * n-th failed start is `min(maxMs, initialMs * factor ** (n - 1))`, counted from that failure.
 */
export interface StartRetryPolicy {
  /**
   * Starts in all, the first included; a failure of the last one is final.
   * @default 4
   */
  readonly tries: number;
  /** The wait after the first failed start. @default 100 */
  readonly initialMs: number;
  /** Each wait is this many times the one before. @default 3 */
  readonly factor: number;
  /** No wait is longer. @default 1000 */
  readonly maxMs: number;
}

/**
 * A start is made 4 times in all: at once, then 100 ms, 300 ms and 900 ms after each failed
 * one (each wait three times the one before, capped at 1 s). With starts that fail at once,
 * they happen at 0, 100, 400 and 1,300 ms.
 */
export const DEFAULT_START_RETRY: StartRetryPolicy = { tries: 4, initialMs: 100, factor: 3, maxMs: 1000 };

/** What a failed start means for its item. */
export interface StartFailureInfo {
  /** Starts tried so far for this item. */
  readonly tries: number;
  /** Set when the item is tried again after this long; absent when the failure is final. */
  readonly retryInMs: number | undefined;
}

export interface DispatchBufferOptions<T> {
  /** Items that may wait for a worker; at least 1 (a size of 0 means no buffer at all). */
  readonly size: number;
  /** Starts in progress at once; at least 1. */
  readonly workers: number;
  /** Runs the backoff between tries. */
  readonly clock: Clock;
  /**
   * Starts one item. Resolves with nothing once the item is started (or has ended on its
   * own), or with why it could not start. A throw or a rejection is a transient failure.
   */
  start(item: T): Promise<StartFailure | undefined>;
  /**
   * A start failed. When `info.retryInMs` is set the buffer tries it again; otherwise the
   * failure is final and the item has left the buffer unstarted: the caller reports it.
   */
  startFailed(item: T, failure: StartFailure, info: StartFailureInfo): void;
  /** The number of queued items or of starts in progress changed. */
  depthChanged?(queued: number, starting: number): void;
  /** A slot freed up in a queue that was full: an offer would now be accepted. */
  roomFreed?(): void;
  readonly retry?: Partial<StartRetryPolicy>;
}

/** `offer` after `close`: the buffer no longer accepts anything. */
export class BufferClosedError extends Error {
  constructor() {
    super('the dispatch buffer is closed: it accepts no new starts');
    this.name = 'BufferClosedError';
  }
}

/**
 * A bounded queue of starts in front of a slow starter, worked by a fixed number of
 * workers. `offer` never waits and never starts anything itself: it queues the item or
 * answers "at capacity", and workers pick items up on a later microtask, so a caller can
 * commit what it offered before any of it starts. A transient start failure is tried
 * again after a short backoff while its worker waits; a permanent one, or the last try,
 * is handed back through `startFailed`. An item queued or waiting between tries can be
 * withdrawn (its attempt ended first). Nothing the starter or a callback throws stops a
 * worker.
 */
export class DispatchBuffer<T> {
  readonly size: number;
  readonly workers: number;
  private readonly retry: StartRetryPolicy;
  private readonly queue: T[] = [];
  private busy = 0;
  private pumping = false;
  private closed = false;
  private drained: Promise<void> | undefined;
  private resolveDrained: (() => void) | undefined;
  /** Backoff waits in progress, by item; `close` and `withdraw` end them early. */
  private readonly sleepers = new Map<T, () => void>();
  /** Items withdrawn during their backoff: their worker stops trying them. */
  private readonly withdrawn = new Set<T>();

  constructor(private readonly options: DispatchBufferOptions<T>) {
    const { size, workers } = options;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`dispatch buffer size must be an integer >= 1, got ${String(size)}`);
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`dispatch buffer workers must be an integer >= 1, got ${String(workers)}`);
    }
    this.size = size;
    this.workers = workers;
    this.retry = { ...DEFAULT_START_RETRY, ...options.retry };
  }

  /** Items waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** Starts in progress, backoff waits included. */
  get starting(): number {
    return this.busy;
  }

  /** Offers that would be accepted now. */
  get free(): number {
    return this.closed ? 0 : this.size - this.queue.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Queues an item to be started; false when the buffer is at capacity. Never blocks. */
  offer(item: T): boolean {
    if (this.closed) throw new BufferClosedError();
    if (this.queue.length >= this.size) return false;
    this.queue.push(item);
    this.depthChanged();
    this.schedulePump();
    return true;
  }

  /**
   * Takes back an item that is queued or waiting between tries (its attempt ended: a
   * timeout, a cancel): it is not started, and its slot goes to the next one. False when it
   * is not here or a start of it is in progress; then that start decides how it ends.
   * Nothing is reported through `startFailed`: the caller ends the item itself.
   */
  withdraw(item: T): boolean {
    const wake = this.sleepers.get(item);
    if (wake !== undefined) {
      this.withdrawn.add(item);
      wake();
      return true;
    }
    const at = this.queue.indexOf(item);
    if (at < 0) return false;
    const wasFull = this.queue.length >= this.size;
    this.queue.splice(at, 1);
    this.depthChanged();
    if (wasFull && !this.closed) this.call(() => this.options.roomFreed?.());
    this.checkDrained();
    return true;
  }

  /**
   * Stops accepting, starts what is queued and waits for every worker to finish. Backoff
   * waits end at once: each such item gets one last try. Calling it again returns the same
   * promise.
   */
  close(): Promise<void> {
    if (this.drained === undefined) {
      this.closed = true;
      this.drained = new Promise<void>((resolve) => (this.resolveDrained = resolve));
      for (const wake of [...this.sleepers.values()]) wake();
      this.pump();
      this.checkDrained();
    }
    return this.drained;
  }

  private schedulePump(): void {
    if (this.pumping) return;
    this.pumping = true;
    queueMicrotask(() => {
      this.pumping = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.busy < this.workers && this.queue.length > 0) {
      const wasFull = this.queue.length >= this.size;
      const item = this.queue.shift() as T;
      this.busy++;
      this.depthChanged();
      if (wasFull && !this.closed) this.call(() => this.options.roomFreed?.());
      void this.work(item);
    }
  }

  private async work(item: T): Promise<void> {
    for (let tries = 1; ; tries++) {
      const failure = await this.tryStart(item);
      if (failure === undefined) break;
      const final = failure.permanent || this.closed || tries >= this.retry.tries;
      const retryInMs = final ? undefined : this.backoff(tries);
      this.call(() => this.options.startFailed(item, failure, { tries, retryInMs }));
      if (retryInMs === undefined) break;
      await this.sleep(item, retryInMs);
      if (this.withdrawn.delete(item)) break;
    }
    this.busy--;
    this.depthChanged();
    this.pump();
    this.checkDrained();
  }

  private async tryStart(item: T): Promise<StartFailure | undefined> {
    try {
      return await this.options.start(item);
    } catch (error) {
      return { permanent: false, error: errorMessage(error) };
    }
  }

  private backoff(tries: number): number {
    const { initialMs, factor, maxMs } = this.retry;
    return Math.min(maxMs, initialMs * factor ** (tries - 1));
  }

  private sleep(item: T, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: Subscription | undefined;
      const wake = (): void => {
        this.sleepers.delete(item);
        timer?.unsubscribe();
        resolve();
      };
      this.sleepers.set(item, wake);
      timer = this.options.clock.schedule(wake, ms);
    });
  }

  private checkDrained(): void {
    if (this.closed && this.busy === 0 && this.queue.length === 0) this.resolveDrained?.();
  }

  private depthChanged(): void {
    const report = this.options.depthChanged;
    if (report !== undefined) this.call(() => report(this.queue.length, this.busy));
  }

  /** Runs a callback of the owner; whatever it throws is reported and the worker goes on. */
  private call(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      const message = errorMessage(error);
      process.emitWarning(`a dispatch buffer callback threw: ${message}`, 'BatonWarning');
    }
  }
}
