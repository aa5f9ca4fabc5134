import { Observable, Subject, type Observer, type Subscription } from 'rxjs';
import type { BatonEvent } from './events.js';

/**
 * The stream `events$` hands out. Handlers passed straight to `subscribe` are guarded: if
 * one throws, the error is reported once as a process warning instead of being rethrown
 * by RxJS from a timer (which would crash the process). Handlers at the end of a `pipe`
 * chain follow RxJS's own rules (`config.onUnhandledError`); either way the conductor,
 * which only enqueues, is never affected.
 */
class GuardedStream<T> extends Observable<T> {
  override subscribe(observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null): Subscription {
    if (typeof observerOrNext === 'function') return super.subscribe(guard(observerOrNext));
    if (observerOrNext === null || observerOrNext === undefined) return super.subscribe();
    const { next, error, complete } = observerOrNext;
    return super.subscribe({
      ...(next ? { next: guard(next.bind(observerOrNext)) } : {}),
      ...(error ? { error: guard(error.bind(observerOrNext)) } : {}),
      ...(complete ? { complete: guard(complete.bind(observerOrNext)) } : {}),
    });
  }
}

function guard<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      handler(...args);
    } catch (error) {
      reportSubscriberError(error);
    }
  };
}

/**
 * Fans observer events out to any number of subscribers. Each subscriber gets its own
 * queue, drained on a later tick: the conductor's `emit` only appends, so a slow or
 * throwing subscriber can neither stall a turn nor break it.
 */
export class EventBus {
  private readonly subject = new Subject<BatonEvent>();

  /** True when somebody listens; lets the conductor skip building events nobody reads. */
  get observed(): boolean {
    return this.subject.observed;
  }

  readonly events$: Observable<BatonEvent> = new GuardedStream<BatonEvent>((subscriber) => {
    let queue: BatonEvent[] = [];
    let scheduled = false;
    let closed = false;
    const drain = (): void => {
      scheduled = false;
      const batch = queue;
      queue = [];
      for (const event of batch) {
        if (closed) return;
        subscriber.next(event);
      }
    };
    const inner = this.subject.subscribe({
      next: (event) => {
        queue.push(event);
        if (!scheduled) {
          scheduled = true;
          setImmediate(drain);
        }
      },
      complete: () => {
        // Deliver what is queued before completing.
        setImmediate(() => {
          drain();
          if (!closed) subscriber.complete();
        });
      },
    });
    return () => {
      closed = true;
      inner.unsubscribe();
    };
  });

  emit(event: BatonEvent): void {
    this.subject.next(event);
  }

  close(): void {
    this.subject.complete();
  }
}

let warned = false;
function reportSubscriberError(error: unknown): void {
  if (warned) return;
  warned = true;
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(`an events$ subscriber threw; its event was skipped: ${message}`, 'BatonWarning');
}
