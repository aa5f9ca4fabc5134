import { Observable, type Observer, type Subscriber, type Subscription, type TeardownLogic } from 'rxjs';
import { errorMessage } from '../util/error-message.js';

/**
 * A stream whose handlers are guarded before RxJS sees them: a handler passed straight to
 * `subscribe` that throws is reported once, as a process warning, instead of being
 * rethrown by RxJS from a timer (which would crash the process). Handlers at the end of a
 * `pipe` chain follow RxJS's own rules (`config.onUnhandledError`).
 */
export class GuardedObservable<T> extends Observable<T> {
  constructor(
    subscribe: (subscriber: Subscriber<T>) => TeardownLogic,
    /** Says the first time a handler of this stream threw; later throws are only skipped. */
    private readonly warning: OnceWarning,
  ) {
    super(subscribe);
  }

  override subscribe(observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null): Subscription {
    if (typeof observerOrNext === 'function') return super.subscribe(this.guard(observerOrNext));
    if (observerOrNext === null || observerOrNext === undefined) return super.subscribe();
    const { next, error, complete } = observerOrNext;
    return super.subscribe({
      ...(next ? { next: this.guard(next.bind(observerOrNext)) } : {}),
      ...(error ? { error: this.guard(error.bind(observerOrNext)) } : {}),
      ...(complete ? { complete: this.guard(complete.bind(observerOrNext)) } : {}),
    });
  }

  private guard<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      try {
        handler(...args);
      } catch (error) {
        this.warning.emit(error);
      }
    };
  }
}

/** A process warning given once per process, for one kind of stream (`what` says what threw and what was lost). */
export class OnceWarning {
  private warned = false;
  constructor(private readonly what: string) {}

  emit(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    process.emitWarning(`${this.what}: ${errorMessage(error)}`, 'BatonWarning');
  }
}
