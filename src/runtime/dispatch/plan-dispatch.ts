/**
 * The dispatch decision, as a pure function of a view of the conductor. It reads only what
 * it is given, never the clock, and mutates nothing: the conductor applies the plan.
 *
 * Cost: O(jobs + ready queues + sheets dispatched). A queue whose limits are reached is
 * rejected before any of its sheets is looked at, so 100,000 ready sheets behind a full
 * cap cost one check, not 100,000.
 */
import { modelKey } from '../../machines/model-key.js';
import type { JobRunState } from '../../machines/types.js';
import type { GateBlock, GateReason } from '../gates/gate.js';

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
  /** The score's `pacing`: minimum ms between two dispatches of this job (0 = none). */
  readonly pacingMs: number;
  /** When this job last dispatched a sheet (conductor clock), if ever. */
  readonly lastDispatchAt: number | undefined;
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
  /**
   * What the gates let through, keyed by instrument name (the whole instrument) or by
   * `modelKey` (one model of it, on top of the instrument's block). Absent: no restriction.
   */
  readonly gates: ReadonlyMap<string, GateBlock>;
  /** The conductor's clock when the view was taken (the planner never reads a clock). */
  readonly now: number;
  /**
   * Dispatch buffers, by job id then instrument name: a sheet is dispatched only into a
   * free slot. An instrument without one starts its musicians directly. Absent: none has.
   */
  readonly buffers?: ReadonlyMap<string, ReadonlyMap<string, BufferRoom>>;
}

/** What the planner reads of a dispatch buffer. */
export interface BufferRoom {
  /** Sheets it would accept now. */
  readonly free: number;
}

export interface DispatchConfig {
  /** Global cap on sheets dispatched or running at once, across every job. */
  readonly maxConcurrent: number;
}

export interface SheetRef {
  readonly jobId: string;
  readonly sheet: number;
}

/** Why a ready queue was (partly) left undispatched: a limit of the planner's own, or the reason of the gate that held it. */
export type SkipReason =
  | 'shutdown'
  | 'paused'
  | 'cancelled'
  | 'global_cap'
  | 'job_cap'
  | 'instrument_cap'
  | 'model_cap'
  | 'pacing'
  /** The instrument's dispatch buffer is full: the sheets stay ready for a later turn. */
  | 'at_capacity'
  /** A gate's own reason: `rate_limited` and `circuit_open` for the built-in gates. */
  | GateReason;

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
  // Attempts this plan lets through each gate block (by its key), for blocks that admit a few.
  const admitted = new Map<string, number>();
  let globalFree = config.maxConcurrent - view.inFlight;

  for (const job of view.jobs) {
    const blocked: SkipReason | undefined = view.shuttingDown ? 'shutdown' : jobBlock[job.state];
    let jobFree = job.concurrency - job.inFlight;
    // Pacing: at most one dispatch per turn, and only once the gap since the last has passed.
    if (job.pacingMs > 0) {
      const due = job.lastDispatchAt === undefined || view.now >= job.lastDispatchAt + job.pacingMs;
      jobFree = due ? Math.min(jobFree, 1) : 0;
    }
    const pacingHeld = job.pacingMs > 0 && jobFree === 0 && job.concurrency - job.inFlight > 0;
    const buffers = view.buffers?.get(job.jobId);
    // Slots this plan takes in this job's buffers, by instrument (its models share one).
    const buffered = buffers === undefined ? undefined : new Map<string, number>();

    for (const queue of job.queues) {
      if (queue.sheets.size === 0) continue;
      const key = modelKey(queue.instrument, queue.model);
      // The instrument's gate block, then its model's own on top of it; the tighter one holds.
      const instrumentGate = view.gates.get(queue.instrument);
      const modelGate = queue.model === undefined ? undefined : view.gates.get(key);
      const instrumentGateFree = instrumentGate === undefined ? Infinity : instrumentGate.admits - (admitted.get(queue.instrument) ?? 0);
      const modelGateFree = modelGate === undefined ? Infinity : modelGate.admits - (admitted.get(key) ?? 0);
      const gateFree = Math.min(instrumentGateFree, modelGateFree);
      const gateReason = instrumentGateFree <= modelGateFree ? instrumentGate?.reason : modelGate?.reason;
      const reason =
        blocked ??
        (globalFree <= 0 ? 'global_cap' : undefined) ??
        (jobFree <= 0 ? (pacingHeld ? 'pacing' : 'job_cap') : undefined) ??
        (gateFree <= 0 ? gateReason : undefined);
      if (reason !== undefined) {
        skipped.push(skip(job, queue, queue.sheets.size, reason));
        continue;
      }

      const instrumentCap = job.instrumentCaps.get(queue.instrument);
      const instrumentUsed =
        (view.instrumentInFlight.get(queue.instrument) ?? 0) +
        (addedByInstrument.get(queue.instrument) ?? 0);
      const modelCap = queue.model === undefined ? undefined : job.modelCaps.get(key);
      const modelUsed = (view.modelInFlight.get(key) ?? 0) + (addedByModel.get(key) ?? 0);

      const instrumentFree = instrumentCap === undefined ? Infinity : instrumentCap - instrumentUsed;
      const modelFree = modelCap === undefined ? Infinity : modelCap - modelUsed;
      const room = buffers?.get(queue.instrument);
      const bufferFree = room === undefined ? Infinity : room.free - (buffered?.get(queue.instrument) ?? 0);
      const take = Math.min(globalFree, jobFree, instrumentFree, modelFree, gateFree, bufferFree, queue.sheets.size);

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
        if (instrumentGate !== undefined) admitted.set(queue.instrument, (admitted.get(queue.instrument) ?? 0) + take);
        if (modelGate !== undefined) admitted.set(key, (admitted.get(key) ?? 0) + take);
        if (room !== undefined) buffered?.set(queue.instrument, (buffered.get(queue.instrument) ?? 0) + take);
      }

      const left = queue.sheets.size - Math.max(0, take);
      if (left > 0) {
        const limit: SkipReason =
          gateReason !== undefined && take >= gateFree
            ? gateReason
            : globalFree <= 0
              ? 'global_cap'
              : jobFree <= 0
                ? job.pacingMs > 0
                  ? 'pacing'
                  : 'job_cap'
                : instrumentFree <= Math.max(0, take)
                  ? 'instrument_cap'
                  : modelFree <= Math.max(0, take)
                    ? 'model_cap'
                    : 'at_capacity';
        skipped.push(skip(job, queue, left, limit));
      }
    }
  }
  return { dispatch, skipped };
}

function skip(job: JobView, queue: ReadyQueueView, waiting: number, reason: SkipReason): SkippedQueue {
  return { jobId: job.jobId, instrument: queue.instrument, model: queue.model, waiting, reason };
}
