import { Subject } from 'rxjs';

/**
 * One ordered stream of events. Posting never runs a handler re-entrantly: events queue
 * up and a turn drains them all, in order, on a microtask (or at once via `drainNow`,
 * for API calls that should take effect before they return). After the queue empties,
 * `afterDrain` runs; anything it posts is handled in the same turn.
 */
export class Inbox<T> {
  private readonly stream = new Subject<T>();
  private readonly queue: T[] = [];
  private head = 0;
  private draining = false;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly handle: (event: T) => void,
    private readonly afterDrain: () => void,
  ) {
    this.stream.subscribe((event) => {
      this.queue.push(event);
      if (!this.draining && !this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.drainNow();
        });
      }
    });
  }

  post(event: T): void {
    this.stream.next(event);
  }

  drainNow(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    try {
      do {
        while (this.head < this.queue.length) this.handle(this.queue[this.head++]!);
        this.queue.length = 0;
        this.head = 0;
        this.afterDrain();
      } while (this.queue.length > 0);
    } finally {
      this.draining = false;
    }
  }

  close(): void {
    this.closed = true;
    this.stream.complete();
  }
}
