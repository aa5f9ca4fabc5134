import { Subject, type Observable } from 'rxjs';
import type { InspectionEvent } from 'xstate';
import { GuardedObservable, OnceWarning } from '../runtime/guarded-observable.js';
import { InspectionRecorder, INSPECTION_TYPES, type InspectionRecord, type InspectionType } from './inspection-record.js';

const subscriberThrew = new OnceWarning('an inspection$ subscriber threw; its record was skipped');

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
    inspection$: new GuardedObservable<InspectionRecord>((subscriber) => subject.subscribe(subscriber), subscriberThrew),
    close: () => {
      if (closed) return;
      closed = true;
      subject.complete();
    },
  };
}
