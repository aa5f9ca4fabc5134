import { Observable, Subject, type Observer, type Subscription } from 'rxjs';
import type { InspectionEvent } from 'xstate';
import { InspectionRecorder, INSPECTION_TYPES, type InspectionRecord, type InspectionType } from './inspection-record.js';

export interface InspectionStreamOptions {
  /**
   * Which XState inspection events become records. Microsteps and actions are left out by
   * default: they multiply the volume and repeat what snapshots already show.
   * @default ['@xstate.actor', '@xstate.event', '@xstate.snapshot']
   */
  types?: readonly InspectionType[];
}

export interface InspectionStream {
  /** Pass as `new Conductor({ inspect })`: XState calls it for every actor it runs. */
  inspect: (event: InspectionEvent) => void;
  /**
   * The records, delivered synchronously while the actor steps, so each shows the state of
   * that moment. Keep subscribers quick, and do not call the conductor from one (move
   * such work off the step with `observeOn(asapScheduler)`). A subscriber that throws
   * is reported once as a process warning; the conductor is never affected.
   */
  inspection$: Observable<InspectionRecord>;
  /** Completes `inspection$`; later inspection events are ignored. */
  close(): void;
}

const DEFAULT_TYPES: readonly InspectionType[] = ['@xstate.actor', '@xstate.event', '@xstate.snapshot'];

/**
 * An inspector for the conductor and every actor it runs, as an RxJS stream of compact,
 * JSON-serialisable records. Nothing is built while nobody subscribes.
 *
 * @example
 * const { inspect, inspection$ } = inspectionStream();
 * inspection$.subscribe((r) => console.log(JSON.stringify(r)));
 * const conductor = new Conductor({ inspect });
 */
export function inspectionStream(options: InspectionStreamOptions = {}): InspectionStream {
  for (const type of options.types ?? []) {
    if (!(INSPECTION_TYPES as readonly string[]).includes(type)) {
      throw new TypeError(`inspectionStream: unknown type "${type}"; expected one of ${INSPECTION_TYPES.join(', ')}`);
    }
  }
  const wanted = new Set<string>(options.types ?? DEFAULT_TYPES);
  const subject = new Subject<InspectionRecord>();
  const recorder = new InspectionRecorder();
  let closed = false;
  return {
    inspect: (event) => {
      if (closed || !subject.observed || !wanted.has(event.type)) return;
      const record = recorder.record(event);
      if (record !== undefined) subject.next(record);
    },
    inspection$: new GuardedObservable<InspectionRecord>((subscriber) => subject.subscribe(subscriber)),
    close: () => {
      if (closed) return;
      closed = true;
      subject.complete();
    },
  };
}

/**
 * Handlers are wrapped before RxJS sees them: RxJS would rethrow a handler's error from a
 * timer and crash the process, while here it only becomes a warning.
 */
class GuardedObservable<T> extends Observable<T> {
  override subscribe(observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null): Subscription {
    if (typeof observerOrNext === 'function') return super.subscribe(guarded(observerOrNext));
    if (observerOrNext === null || observerOrNext === undefined) return super.subscribe();
    const { next, error, complete } = observerOrNext;
    return super.subscribe({
      ...(next ? { next: guarded(next.bind(observerOrNext)) } : {}),
      ...(error ? { error: guarded(error.bind(observerOrNext)) } : {}),
      ...(complete ? { complete: guarded(complete.bind(observerOrNext)) } : {}),
    });
  }
}

function guarded<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      handler(...args);
    } catch (error) {
      warnOnce(error);
    }
  };
}

let warned = false;
function warnOnce(error: unknown): void {
  if (warned) return;
  warned = true;
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(`an inspection$ subscriber threw; its record was skipped: ${message}`, 'BatonWarning');
}
