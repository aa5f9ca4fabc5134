import type { Subscription } from 'rxjs';
import type { Inspector } from '../../actors/inspector.js';
import { resumeSheetActor, startSheetActor } from '../../actors/sheet-actor.js';
import { modelKey } from '../../machines/model-key.js';
import type { SheetContext, SheetInput } from '../../machines/sheet.js';
import type { SheetEvent } from '../../machines/sheet-events.js';
import type { SheetState } from '../../machines/types.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../event-bus.js';
import { doomedBy, doomedStage, satisfy, sheetInput } from '../model/dependencies.js';
import type { Job } from '../model/job.js';
import type { Backlog } from '../model/ready-queue.js';
import { settledOutcome } from '../model/settled-outcome.js';
import type { SheetRecord } from '../model/sheet-record.js';
import type { StageRuntime } from '../model/stage.js';
import { endEvent, stateEvent } from './announcements.js';

/** What the driver needs from the conductor that owns it. */
export interface SheetDriverHost {
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly inspect: Inspector | undefined;
  /** Enqueues a timer firing in the conductor's inbox. */
  post(event: TimerFiring): void;
  /** Something became dispatchable: plan again at the end of the turn. */
  wake(): void;
  /**
   * At most this many sheets of one job wait `ready` per (instrument, model); see
   * `ConductorOptions.readyWindow`. Unset: {@link defaultReadyWindow} of the job's concurrency.
   */
  readonly readyWindow: number | undefined;
  /** Why ready sheets of the instrument that have a fallback should move on to it now, if they should. */
  unavailable(instrument: string): string | undefined;
}

export interface TimerFiring {
  kind: 'timer';
  job: Job;
  record: SheetRecord;
  timer: Subscription;
  event: SheetEvent;
}

/**
 * Moves sheets through their machine and acts on where they land: ready sheets join the
 * ready index, retries and rate limits get timers, terminal sheets release or doom their
 * dependents, and the job settles when nothing more can happen.
 */
export class SheetDriver {
  constructor(private readonly host: SheetDriverHost) {}

  /**
   * Sends an event to a sheet and acts on the state it lands in. Pending and terminal
   * sheets have no actor: the few events they accept are applied to the record directly.
   */
  send(job: Job, record: SheetRecord, event: SheetEvent): void {
    const before = record.state;
    if (record.actor === undefined) {
      if (before !== 'pending') return;
      if (event.type === 'CANCEL') this.endWithoutActor(job, record, 'cancelled');
      return;
    }
    record.actor.send(event);
    const snapshot = record.actor.getSnapshot();
    const after = snapshot.value as SheetState;
    const fromIndex = record.instrumentIndex;
    record.mirror(snapshot.context);
    job.sheetChanged(record);
    if (after === before) {
      // Still ready, but on the next instrument of its chain (its own was unavailable).
      if (fromIndex !== record.instrumentIndex && (after === 'ready' || after === 'completion')) {
        job.dequeue(record, fromIndex);
        this.entered(job, record, before, fromIndex);
      }
      return;
    }
    job.move(record, after);
    this.entered(job, record, before, fromIndex);
  }

  private entered(job: Job, record: SheetRecord, before: SheetState, fromIndex: number): void {
    const context = record.actor!.getSnapshot().context;
    switch (record.state) {
      case 'ready':
      case 'completion': {
        if (job.state === 'cancelled') return;
        job.enqueue(record);
        this.host.wake();
        if (context.instrumentIndex < context.fallbacks) {
          const error = this.host.unavailable(job.instrumentOf(record).name);
          if (error !== undefined) {
            this.send(job, record, { type: 'UNAVAILABLE', error });
            return;
          }
        }
        break;
      }
      case 'retry': {
        const now = this.host.clock.now();
        this.schedule(job, record, (context.retryAt ?? now) - now, { type: 'RETRY_DUE' });
        break;
      }
      case 'waiting': {
        const now = this.host.clock.now();
        this.schedule(job, record, (context.waitUntil ?? now) - now, { type: 'LIMIT_CLEARED' });
        break;
      }
      case 'completed':
      case 'failed':
      case 'skipped':
      case 'cancelled':
        if (context.skipCause === 'decision') job.skippedByDecision(record);
        this.ended(job, record, before);
        return;
      default:
        break;
    }
    if (this.host.bus.observed) {
      const from = record.instrumentIndex !== fromIndex ? job.instrumentAt(record, fromIndex).name : undefined;
      const event = stateEvent(job, record, context, this.host.clock.now(), from);
      if (event !== undefined) this.host.bus.emit(event);
    }
  }

  private schedule(job: Job, record: SheetRecord, delayMs: number, event: SheetEvent): void {
    const timer: Subscription = this.host.clock.schedule(
      () => this.host.post({ kind: 'timer', job, record, timer, event }),
      Math.max(0, delayMs),
    );
    record.setTimer(timer);
  }

  /** A sheet reached a terminal state: drop its actor, then release or doom its dependents. */
  private ended(job: Job, record: SheetRecord, before: SheetState): void {
    record.ended(this.host.clock.now());
    if (before === 'ready' || before === 'completion') job.dequeue(record);
    this.announceEnd(job, record);
    if (record.state === 'completed' || record.skippedByDecision) {
      for (const stage of satisfy(record)) this.release(job, stage);
    } else if (record.state !== 'cancelled') {
      for (const doomed of doomedBy(job, record)) this.endWithoutActor(job, doomed.record, doomed.state);
    }
    this.checkJob(job);
  }

  /** Pending sheets have no actor yet: they end by a failed dependency or a cancel. */
  private endWithoutActor(job: Job, record: SheetRecord, state: 'skipped' | 'failed' | 'cancelled'): void {
    job.move(record, state);
    record.ended(this.host.clock.now());
    if (state !== 'cancelled') record.endedByDependency(state === 'failed');
    this.announceEnd(job, record);
  }

  private announceEnd(job: Job, record: SheetRecord): void {
    if (!this.host.bus.observed) return;
    const event = endEvent(job, record, record.endedAt ?? this.host.clock.now());
    if (event !== undefined) this.host.bus.emit(event);
  }

  /** An instrument became unavailable: ready sheets of it that have a fallback move on to it. */
  moveOff(jobs: Iterable<Job>, instrument: string, error: string): void {
    for (const job of jobs) {
      for (const queue of [...job.readyQueues.values()]) {
        if (queue.instrument !== instrument) continue;
        for (const index of [...queue.sheets]) this.send(job, job.sheets[index]!, { type: 'UNAVAILABLE', error });
      }
    }
  }

  /** A rate limit ended: the sheets waiting on it go back to ready, in every job. */
  liftWaiting(jobs: Iterable<Job>, instrument: string, model: string | undefined): void {
    for (const job of jobs) {
      for (const record of [...job.waiting]) {
        const current = job.instrumentOf(record);
        if (current.name !== instrument || (model !== undefined && current.model !== model)) continue;
        this.send(job, record, { type: 'LIMIT_CLEARED' });
      }
    }
  }

  /** Brings a checkpointed sheet back as a live actor, in `state`, from its stored context. */
  revive(job: Job, record: SheetRecord, state: SheetState, context: SheetContext): void {
    record.actor = resumeSheetActor(`${job.jobId}/${record.id}`, state, context, this.host.inspect);
    record.instrumentIndex = context.instrumentIndex;
    job.move(record, state);
    this.entered(job, record, 'pending', record.instrumentIndex);
  }

  /** Ends the pending members of a stage found doomed on restore, and what depends on them. */
  doom(job: Job, stage: StageRuntime): void {
    for (const doomed of doomedStage(job, stage)) this.endWithoutActor(job, doomed.record, doomed.state);
  }

  /**
   * Every dependency of a stage is satisfied: its members become ready, each a live actor,
   * as far as their ready queue has room; the rest wait in the job's backlog.
   */
  release(job: Job, stage: StageRuntime): void {
    if (job.state === 'cancelled') return;
    const backlog = job.backlogOf(stage.spec.instrument, stage.spec.model);
    backlog.entries.push({ stage, next: stage.first });
    this.admitFrom(job, backlog);
  }

  /** Admits backlogged sheets of a job into every ready queue that has room again. */
  admit(job: Job): void {
    for (const backlog of job.backlog.values()) this.admitFrom(job, backlog);
    if (job.backlog.size === 0) this.checkJob(job);
  }

  private admitFrom(job: Job, backlog: Backlog): void {
    if (job.state === 'cancelled') {
      job.backlog.clear();
      return;
    }
    let room = (this.host.readyWindow ?? defaultReadyWindow(job.concurrency)) - job.readyCount(backlog.instrument, backlog.model);
    while (room > 0 && !backlog.drained) {
      const entry = backlog.entries[backlog.head]!;
      const end = entry.stage.first + entry.stage.size;
      let input: SheetInput | undefined;
      while (room > 0 && entry.next < end) {
        const record = job.sheets[entry.next++]!;
        if (record.state !== 'pending') continue;
        input ??= sheetInput(job, entry.stage);
        record.actor = startSheetActor(`${job.jobId}/${record.id}`, input, this.host.inspect);
        this.send(job, record, { type: 'DEPS_MET' });
        room--;
      }
      if (entry.next >= end) backlog.head++;
    }
    if (backlog.drained) job.backlog.delete(modelKey(backlog.instrument, backlog.model));
  }

  checkJob(job: Job): void {
    if (job.outcome !== undefined && job.outcome !== 'held' && job.outcome !== 'paused') return;
    const outcome = settledOutcome(job);
    if (outcome === undefined || outcome === job.outcome) return;
    const at = this.host.clock.now();
    const { bus } = this.host;
    if (outcome === 'held') {
      if (bus.observed) {
        const fermatas = job.sheets.filter((s) => s.state === 'fermata').map((s) => s.id);
        bus.emit({ type: 'job.held', jobId: job.jobId, fermatas, at });
      }
    } else if (outcome === 'completed' || outcome === 'failed' || outcome === 'cancelled') {
      job.finish(outcome, at);
      if (bus.observed && outcome === 'completed') bus.emit({ type: 'job.completed', jobId: job.jobId, at });
      if (bus.observed && outcome === 'failed') {
        bus.emit({ type: 'job.failed', jobId: job.jobId, failed: job.counts.failed, skipped: job.counts.skipped, at });
      }
    }
    job.settle(outcome);
  }
}

/**
 * Four times what one dispatch decision can take from a job (its concurrency), within
 * [32, 1000]. A turn that dispatched plans again at once while sheets wait for room, so a
 * window above one decision's take costs no throughput; a small one keeps few actors
 * alive at once, and short-lived actors are cheap for the garbage collector (S1 at 100k
 * sheets ran about 6% faster with 32 than with 1,000).
 */
function defaultReadyWindow(concurrency: number): number {
  return Math.min(1000, Math.max(32, 4 * concurrency));
}
