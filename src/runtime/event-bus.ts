import { Subject, type Observable } from 'rxjs';
import type { BatonEvent } from './events.js';
import { GuardedObservable, OnceWarning } from './guarded-observable.js';

const subscriberThrew = new OnceWarning('an events$ subscriber threw; its event was skipped');

/**
 * How long one slice of a subscriber's queue may hold the event loop (real time, whatever
 * the conductor's clock) while the process keeps the CPU busy for at least half of it:
 * past it the rest waits for the next slice, and the conductor's turns, timers and I/O go
 * first. A slice always delivers at least one event.
 */
const SLICE_BUDGET_MS = 4;

const COMPACT_AFTER = 1024;

/** CPU time (user and system) this process spent since `from`, in ms. */
function cpuMsSince(from: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(from);
  return (user + system) / 1000;
}

/**
 * Fans observer events out to any number of subscribers. Each subscriber gets its own
 * queue, drained on later ticks in slices of about `SLICE_BUDGET_MS` (a slice that ran over
 * is followed by a pause as long as its overrun): the conductor's `emit` only appends, so a
 * slow or throwing subscriber can neither stall a turn nor break it, and a slow one falls
 * behind instead of holding the loop for its whole backlog.
 */
export class EventBus {
  private readonly subject = new Subject<BatonEvent>();
  /** Every live subscriber's progress, for `delivered()`. */
  private readonly lanes = new Set<Lane>();

  /** True when somebody listens; lets the conductor skip building events nobody reads. */
  get observed(): boolean {
    return this.subject.observed;
  }

  readonly events$: Observable<BatonEvent> = new GuardedObservable<BatonEvent>((subscriber) => {
    const lane = new Lane();
    this.lanes.add(lane);
    let queue: BatonEvent[] = [];
    /** Events of `queue` already delivered (the queue is cut only between slices). */
    let head = 0;
    let scheduled = false;
    let completing = false;
    let closed = false;
    /** When the next slice may start (`performance.now()`): after a pause as long as the last one's overrun. */
    let resumeAt = 0;
    const drain = (): void => {
      scheduled = false;
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      let cut = false;
      while (head < queue.length && !closed) {
        subscriber.next(queue[head++]!);
        lane.delivered++;
        // Wall time alone would cut slices whenever the OS runs another process for a while;
        // only a subscriber that keeps the CPU busy is slow.
        if (performance.now() - start >= SLICE_BUDGET_MS && cpuMsSince(cpuStart) >= SLICE_BUDGET_MS / 2) {
          cut = true;
          break;
        }
      }
      lane.reached();
      if (closed) return;
      // One event can take longer than a whole slice: the loop then gets the overrun to itself
      // before the next slice, so a subscriber that is behind holds about half of it at most.
      const end = performance.now();
      resumeAt = cut ? end + Math.max(0, end - start - SLICE_BUDGET_MS) : end;
      if (head === queue.length) {
        queue = [];
        head = 0;
      } else if (head > COMPACT_AFTER && head * 2 > queue.length) {
        // Cut the delivered head only when it is most of the queue: each event is copied O(1) times.
        queue = queue.slice(head);
        head = 0;
      }
      if (head < queue.length) schedule();
      // Everything queued before the end is delivered first.
      else if (completing) {
        subscriber.complete();
        this.retire(lane);
      }
    };
    const schedule = (): void => {
      if (scheduled) return;
      scheduled = true;
      const pauseMs = resumeAt - performance.now();
      if (pauseMs >= 1) setTimeout(drain, pauseMs);
      else setImmediate(drain);
    };
    const inner = this.subject.subscribe({
      next: (event) => {
        lane.received++;
        queue.push(event);
        schedule();
      },
      complete: () => {
        // A tick later: slices already due for every subscriber run first, so a subscriber
        // that keeps up never sees another one complete before it has the earlier events.
        setImmediate(() => {
          completing = true;
          if (!scheduled) drain();
        });
      },
    });
    return () => {
      closed = true;
      inner.unsubscribe();
      this.retire(lane);
    };
  }, subscriberThrew);

  emit(event: BatonEvent): void {
    this.subject.next(event);
  }

  close(): void {
    this.subject.complete();
  }

  /**
   * Resolves once every event emitted so far has reached every subscriber that is still
   * subscribed (a subscriber that leaves first no longer counts), so that whoever awaits
   * it sees the world its subscribers have already seen.
   */
  delivered(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const lane of this.lanes) if (lane.delivered < lane.received) waits.push(lane.until(lane.received));
    return waits.length === 0 ? Promise.resolve() : Promise.all(waits).then(() => undefined);
  }

  /** Resolves once every subscriber has had everything and its `complete` (after `close()`), or has left. */
  ended(): Promise<void> {
    return Promise.all([...this.lanes].map((lane) => lane.until(Infinity))).then(() => undefined);
  }

  private retire(lane: Lane): void {
    if (!this.lanes.delete(lane)) return;
    lane.reached(Infinity);
  }
}

/** How far one subscriber's queue got, and who waits for it to get further. */
class Lane {
  received = 0;
  delivered = 0;
  /** In the order they were asked, hence of growing targets. */
  private readonly waiters: Array<{ target: number; resolve: () => void }> = [];

  until(target: number): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ target, resolve }));
  }

  /** Resolves the waits now met; `upTo` counts as delivered (Infinity once the subscriber is gone). */
  reached(upTo = this.delivered): void {
    let met = 0;
    while (met < this.waiters.length && this.waiters[met]!.target <= upTo) this.waiters[met++]!.resolve();
    if (met > 0) this.waiters.splice(0, met);
  }
}
