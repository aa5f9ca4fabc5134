import { Subject, type Observable } from 'rxjs';
import type { BatonEvent } from './events.js';
import { GuardedObservable, OnceWarning } from './guarded-observable.js';

const subscriberThrew = new OnceWarning('an events$ subscriber threw; its event was skipped');

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

  readonly events$: Observable<BatonEvent> = new GuardedObservable<BatonEvent>((subscriber) => {
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
  }, subscriberThrew);

  emit(event: BatonEvent): void {
    this.subject.next(event);
  }

  close(): void {
    this.subject.complete();
  }
}
