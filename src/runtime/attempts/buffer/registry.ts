import type { Clock } from '../../clock.js';
import { DispatchBuffer, type StartFailure, type StartFailureInfo } from './dispatch-buffer.js';
import type { EventBus } from '../../event-bus.js';
import type { Job } from '../../model/job.js';
import { modelKey } from '../../../machines/model-key.js';
import type { DispatchPlan } from '../../dispatch/plan-dispatch.js';
import type { BufferSpec } from '../../../score/types.js';

export interface BufferRegistryHost<T> {
  readonly clock: Clock;
  readonly bus: EventBus;
  start(item: T): Promise<StartFailure | undefined>;
  startFailed(item: T, failure: StartFailure, info: StartFailureInfo): void;
  /** A full buffer has room again: sheets it held back may be dispatched. */
  roomFreed(): void;
}

/**
 * The dispatch buffers of every job, one per instrument whose score gives it a `buffer`
 * with a size above 0. Each job has its own (its score sizes them); the `buffer.depth`
 * event sums the buffers of one instrument name across jobs.
 */
export class DispatchBufferRegistry<T> {
  /** By job id, then instrument name; the planner reads their free slots. */
  readonly byJob = new Map<string, Map<string, DispatchBuffer<T>>>();
  private readonly byInstrument = new Map<string, DispatchBuffer<T>[]>();

  constructor(private readonly host: BufferRegistryHost<T>) {}

  /** True once some job has a buffer: the cost of buffers is paid only then. */
  get active(): boolean {
    return this.byJob.size > 0;
  }

  /** Creates the buffers a job's score asks for. */
  adopt(jobId: string, instruments: Readonly<Record<string, { readonly buffer?: BufferSpec }>>): void {
    let buffers: Map<string, DispatchBuffer<T>> | undefined;
    for (const [name, spec] of Object.entries(instruments)) {
      if (spec.buffer === undefined || spec.buffer.size === 0) continue;
      const buffer: DispatchBuffer<T> = new DispatchBuffer<T>({
        size: spec.buffer.size,
        workers: spec.buffer.workers,
        clock: this.host.clock,
        start: (item) => this.host.start(item),
        startFailed: (item, failure, info) => this.host.startFailed(item, failure, info),
        depthChanged: () => this.depthChanged(name),
        roomFreed: () => this.host.roomFreed(),
      });
      (buffers ??= new Map()).set(name, buffer);
      const named = this.byInstrument.get(name);
      if (named === undefined) this.byInstrument.set(name, [buffer]);
      else named.push(buffer);
    }
    if (buffers !== undefined) this.byJob.set(jobId, buffers);
  }

  of(jobId: string, instrument: string): DispatchBuffer<T> | undefined {
    return this.byJob.get(jobId)?.get(instrument);
  }

  /** Closes every buffer: queued starts still run, then the workers finish. */
  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const buffers of this.byJob.values()) for (const buffer of buffers.values()) closing.push(buffer.close());
    await Promise.all(closing);
  }

  /**
   * Says which sheets the plan held back because their buffer was full: the first ready
   * sheet of each such queue, once per turn (they stay ready and go on a later turn).
   */
  announceAtCapacity(plan: DispatchPlan, jobs: ReadonlyMap<string, Job>, at: number): void {
    if (!this.host.bus.observed) return;
    for (const skipped of plan.skipped) {
      if (skipped.reason !== 'at_capacity') continue;
      const job = jobs.get(skipped.jobId);
      const queue = job?.readyQueues.get(modelKey(skipped.instrument, skipped.model));
      if (job === undefined || queue === undefined) continue;
      for (const index of queue.sheets) {
        const sheetId = job.sheets[index]!.id;
        this.host.bus.emit({ type: 'dispatch.at_capacity', jobId: job.jobId, sheetId, instrument: skipped.instrument, at });
        break;
      }
    }
  }

  private depthChanged(instrument: string): void {
    if (!this.host.bus.observed) return;
    let queued = 0;
    let starting = 0;
    for (const buffer of this.byInstrument.get(instrument) ?? []) {
      queued += buffer.queued;
      starting += buffer.starting;
    }
    this.host.bus.emit({ type: 'buffer.depth', instrument, queued, starting, at: this.host.clock.now() });
  }
}
