/**
 * The dispatch decision, as a pure function of a view of the conductor. It reads only what
 * it is given, never the clock, and mutates nothing: the conductor applies the plan.
 *
 * Cost: O(jobs + ready queues + sheets dispatched). A queue whose limits are reached is
 * rejected before any of its sheets is looked at, so 100,000 ready sheets behind a full
 * cap cost one check, not 100,000.
 */

export type JobRunState = 'running' | 'paused' | 'cancelled' | 'completed' | 'failed';

/** Ready sheets of one job that share an instrument and model, in FIFO order. */
export interface ReadyQueueView {
  readonly instrument: string;
  readonly model: string | undefined;
  /** Sheet indexes (within the job); iterated lazily, only as far as slots allow. */
  readonly sheets: Iterable<number> & { readonly size: number };
}

export interface JobView {
  readonly jobId: string;
  readonly state: JobRunState;
  /** This job's sheets that are dispatched or running. */
  readonly inFlight: number;
  /** The score's `concurrency`. */
  readonly concurrency: number;
  /** Per-instrument caps declared by this job's score. */
  readonly instrumentCaps: ReadonlyMap<string, number>;
  /** Per-(instrument, model) caps, keyed by `modelKey(instrument, model)`. */
  readonly modelCaps: ReadonlyMap<string, number>;
  readonly queues: Iterable<ReadyQueueView>;
}

export interface DispatchView {
  readonly shuttingDown: boolean;
  /** Every dispatched or running sheet, across jobs. */
  readonly inFlight: number;
  /** In-flight attempts per instrument name, across jobs. */
  readonly instrumentInFlight: ReadonlyMap<string, number>;
  /** In-flight attempts per `modelKey(instrument, model)`, across jobs. */
  readonly modelInFlight: ReadonlyMap<string, number>;
  /** Jobs in the order they should be served (the conductor rotates it for fairness). */
  readonly jobs: Iterable<JobView>;
}

export interface DispatchConfig {
  /** Global cap on sheets dispatched or running at once, across every job. */
  readonly maxConcurrent: number;
}

export interface SheetRef {
  readonly jobId: string;
  readonly sheet: number;
}

export type SkipReason =
  | 'shutdown'
  | 'paused'
  | 'cancelled'
  | 'global_cap'
  | 'job_cap'
  | 'instrument_cap'
  | 'model_cap';

/** A ready queue left (partly) undispatched this turn, and the first limit that held it. */
export interface SkippedQueue {
  readonly jobId: string;
  readonly instrument: string;
  readonly model: string | undefined;
  readonly waiting: number;
  readonly reason: SkipReason;
}

export interface DispatchPlan {
  readonly dispatch: SheetRef[];
  readonly skipped: SkippedQueue[];
}

export function modelKey(instrument: string, model: string | undefined): string {
  return model === undefined ? instrument : `${instrument}\u0000${model}`;
}

const jobBlock: Partial<Record<JobRunState, SkipReason>> = {
  paused: 'paused',
  cancelled: 'cancelled',
  completed: 'cancelled',
  failed: 'cancelled',
};

export function planDispatch(view: DispatchView, config: DispatchConfig): DispatchPlan {
  const dispatch: SheetRef[] = [];
  const skipped: SkippedQueue[] = [];
  // Attempts this plan adds on top of the view's counts.
  const addedByInstrument = new Map<string, number>();
  const addedByModel = new Map<string, number>();
  let globalFree = config.maxConcurrent - view.inFlight;

  for (const job of view.jobs) {
    const blocked: SkipReason | undefined = view.shuttingDown ? 'shutdown' : jobBlock[job.state];
    let jobFree = job.concurrency - job.inFlight;

    for (const queue of job.queues) {
      if (queue.sheets.size === 0) continue;
      const reason =
        blocked ??
        (globalFree <= 0 ? 'global_cap' : undefined) ??
        (jobFree <= 0 ? 'job_cap' : undefined);
      if (reason !== undefined) {
        skipped.push(skip(job, queue, queue.sheets.size, reason));
        continue;
      }

      const instrumentCap = job.instrumentCaps.get(queue.instrument);
      const instrumentUsed =
        (view.instrumentInFlight.get(queue.instrument) ?? 0) +
        (addedByInstrument.get(queue.instrument) ?? 0);
      const key = modelKey(queue.instrument, queue.model);
      const modelCap = queue.model === undefined ? undefined : job.modelCaps.get(key);
      const modelUsed = (view.modelInFlight.get(key) ?? 0) + (addedByModel.get(key) ?? 0);

      const instrumentFree = instrumentCap === undefined ? Infinity : instrumentCap - instrumentUsed;
      const modelFree = modelCap === undefined ? Infinity : modelCap - modelUsed;
      const take = Math.min(globalFree, jobFree, instrumentFree, modelFree, queue.sheets.size);

      if (take > 0) {
        let taken = 0;
        for (const sheet of queue.sheets) {
          dispatch.push({ jobId: job.jobId, sheet });
          if (++taken === take) break;
        }
        globalFree -= take;
        jobFree -= take;
        addedByInstrument.set(queue.instrument, (addedByInstrument.get(queue.instrument) ?? 0) + take);
        addedByModel.set(key, (addedByModel.get(key) ?? 0) + take);
      }

      const left = queue.sheets.size - Math.max(0, take);
      if (left > 0) {
        const limit: SkipReason =
          globalFree <= 0
            ? 'global_cap'
            : jobFree <= 0
              ? 'job_cap'
              : instrumentFree <= Math.max(0, take)
                ? 'instrument_cap'
                : 'model_cap';
        skipped.push(skip(job, queue, left, limit));
      }
    }
  }
  return { dispatch, skipped };
}

function skip(job: JobView, queue: ReadyQueueView, waiting: number, reason: SkipReason): SkippedQueue {
  return { jobId: job.jobId, instrument: queue.instrument, model: queue.model, waiting, reason };
}
