import { Observable, Subject } from 'rxjs';
import type { BatonEvent } from './events.js';

/**
 * Fans observer events out to any number of subscribers without letting them reach back
 * into the conductor: each subscriber gets its own queue, drained after the conductor's
 * turn, and an exception thrown by one subscriber is reported and swallowed, never
 * propagated into the conductor or to other subscribers.
 */
export class EventBus {
  private readonly subject = new Subject<BatonEvent>();

  /** True when somebody listens; lets the conductor skip building events nobody reads. */
  get observed(): boolean {
    return this.subject.observed;
  }

  readonly events$: Observable<BatonEvent> = new Observable<BatonEvent>((subscriber) => {
    let queue: BatonEvent[] = [];
    let scheduled = false;
    let closed = false;
    const drain = (): void => {
      scheduled = false;
      const batch = queue;
      queue = [];
      for (const event of batch) {
        if (closed) return;
        try {
          subscriber.next(event);
        } catch (error) {
          reportSubscriberError(error);
        }
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
  // RxJS would rethrow this asynchronously and crash the process; one warning is enough.
  if (warned) return;
  warned = true;
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(`an events$ subscriber threw and was skipped: ${message}`, 'BatonWarning');
}
