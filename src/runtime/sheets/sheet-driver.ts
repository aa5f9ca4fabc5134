import type { Subscription } from 'rxjs';
import { createActor, type InspectionEvent, type Observer } from 'xstate';
import type { SheetEvent } from '../../machines/sheet-events.js';
import { sheetMachine, type SheetContext, type SheetInput } from '../../machines/sheet.js';
import type { SheetState } from '../../machines/types.js';
import { endEvent, stateEvent } from './announcements.js';
import type { Clock } from '../clock.js';
import { doomedBy, doomedStage, satisfy, sheetInput } from '../model/dependencies.js';
import type { EventBus } from '../event-bus.js';
import { Backlog, type Job, type JobOutcome, type SheetRecord, type StageRuntime } from '../model/job.js';
import { settledOutcome } from '../model/settled-outcome.js';
import { modelKey } from '../dispatch/plan-dispatch.js';

/** What the driver needs from the conductor that owns it. */
export interface SheetDriverHost {
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
  /** Enqueues a timer firing in the conductor's inbox. */
  post(event: TimerFiring): void;
  /** Something became dispatchable: plan again at the end of the turn. */
  wake(): void;
  /**
   * At most this many sheets of one job wait `ready` per (instrument, model); see
   * `ConductorOptions.readyWindow`. Unset: {@link defaultReadyWindow} of the job's concurrency.
   */
  readonly readyWindow: number | undefined;
  /** The instrument's circuit is open: ready sheets with a fallback should move on. */
  circuitOpen(instrument: string): boolean;
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
    const context = snapshot.context;
    record.attempts = context.attempts;
    record.dispatches = context.dispatches;
    record.lastError = context.lastError;
    record.reason = context.reason;
    const fromIndex = record.instrumentIndex;
    record.instrumentIndex = context.instrumentIndex;
    job.checkpoint?.sheetChanged(record);
    if (after === before) {
      // Still ready, but on the next instrument of its chain (its own circuit opened).
      if (fromIndex !== record.instrumentIndex && (after === 'ready' || after === 'completion')) {
        const from = job.instrumentAt(record, fromIndex);
        job.readyQueues.get(modelKey(from.name, from.model))?.sheets.delete(record.index);
        this.entered(job, record, before, fromIndex);
      }
      return;
    }
    record.state = after;
    job.recount(before, after);
    if (before === 'waiting') job.waiting.delete(record);
    else if (after === 'waiting') job.waiting.add(record);
    this.entered(job, record, before, fromIndex);
  }

  private entered(job: Job, record: SheetRecord, before: SheetState, fromIndex: number): void {
    const context = record.actor!.getSnapshot().context;
    switch (record.state) {
      case 'ready':
      case 'completion': {
        if (job.state === 'cancelled') return;
        const { name, model } = job.instrumentOf(record);
        job.queueFor(name, model).sheets.add(record.index);
        this.host.wake();
        if (context.instrumentIndex < context.fallbacks && this.host.circuitOpen(name)) {
          this.send(job, record, { type: 'UNAVAILABLE', error: `the circuit of instrument "${name}" is open` });
          return;
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
        record.skippedByDecision = context.skipCause === 'decision';
        if (record.skippedByDecision) job.decisionSkips++;
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
    record.timer?.unsubscribe();
    const timer: Subscription = this.host.clock.schedule(
      () => this.host.post({ kind: 'timer', job, record, timer, event }),
      Math.max(0, delayMs),
    );
    record.timer = timer;
  }

  /** A sheet reached a terminal state: drop its actor, then release or doom its dependents. */
  private ended(job: Job, record: SheetRecord, before: SheetState): void {
    record.actor = undefined;
    record.timer?.unsubscribe();
    record.timer = undefined;
    record.endedAt = this.host.clock.now();
    if (before === 'ready' || before === 'completion') {
      const { name, model } = job.instrumentOf(record);
      job.readyQueues.get(modelKey(name, model))?.sheets.delete(record.index);
    }
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
    job.recount(record.state, state);
    record.state = state;
    record.endedAt = this.host.clock.now();
    job.checkpoint?.sheetChanged(record);
    if (state !== 'cancelled') {
      record.reason = 'dependency';
      if (state === 'failed') record.lastError = 'a dependency did not complete';
    }
    this.announceEnd(job, record);
  }

  private announceEnd(job: Job, record: SheetRecord): void {
    if (!this.host.bus.observed) return;
    const event = endEvent(job, record, record.endedAt ?? this.host.clock.now());
    if (event !== undefined) this.host.bus.emit(event);
  }

  /** A circuit opened: ready sheets of that instrument that have a fallback move on to it. */
  moveOff(jobs: Iterable<Job>, instrument: string): void {
    const error = `the circuit of instrument "${instrument}" is open`;
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
    record.actor = createActor(sheetMachine, {
      snapshot: sheetMachine.resolveState({ value: state, context }),
      // Ignored when a snapshot is given, but the machine's type asks for it.
      input: context,
      id: `${job.jobId}/${record.id}`,
      ...(this.host.inspect ? { inspect: this.host.inspect } : {}),
    });
    record.actor.start();
    record.instrumentIndex = context.instrumentIndex;
    job.recount(record.state, state);
    record.state = state;
    if (state === 'waiting') job.waiting.add(record);
    job.checkpoint?.sheetChanged(record);
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
    const spec = stage.spec;
    const key = modelKey(spec.instrument, spec.model);
    let backlog = job.backlog.get(key);
    if (backlog === undefined) {
      backlog = new Backlog(spec.instrument, spec.model);
      job.backlog.set(key, backlog);
    }
    backlog.entries.push({ stage, next: stage.first });
    this.admitFrom(job, key, backlog);
  }

  /** Admits backlogged sheets of a job into every ready queue that has room again. */
  admit(job: Job): void {
    for (const [key, backlog] of job.backlog) this.admitFrom(job, key, backlog);
    if (job.backlog.size === 0) this.checkJob(job);
  }

  private admitFrom(job: Job, key: string, backlog: Backlog): void {
    if (job.state === 'cancelled') {
      job.backlog.clear();
      return;
    }
    const queue = job.queueFor(backlog.instrument, backlog.model);
    let room = (this.host.readyWindow ?? defaultReadyWindow(job.concurrency)) - queue.sheets.size;
    while (room > 0 && backlog.head < backlog.entries.length) {
      const entry = backlog.entries[backlog.head]!;
      const end = entry.stage.first + entry.stage.size;
      let input: SheetInput | undefined;
      while (room > 0 && entry.next < end) {
        const record = job.sheets[entry.next++]!;
        if (record.state !== 'pending') continue;
        input ??= sheetInput(job, entry.stage);
        record.actor = createActor(sheetMachine, {
          input,
          id: `${job.jobId}/${record.id}`,
          ...(this.host.inspect ? { inspect: this.host.inspect } : {}),
        });
        record.actor.start();
        this.send(job, record, { type: 'DEPS_MET' });
        room--;
      }
      if (entry.next >= end) backlog.head++;
    }
    if (backlog.head === backlog.entries.length) job.backlog.delete(key);
  }

  checkJob(job: Job): void {
    if (job.outcome !== undefined && job.outcome !== 'held' && job.outcome !== 'paused') return;
    const outcome = settledOutcome(job);
    if (outcome === undefined || outcome === job.outcome) return;
    const at = this.host.clock.now();
    if (outcome === 'held') {
      if (this.host.bus.observed) {
        const fermatas = job.sheets.filter((s) => s.state === 'fermata').map((s) => s.id);
        this.host.bus.emit({ type: 'job.held', jobId: job.jobId, fermatas, at });
      }
    } else if (outcome === 'completed' || outcome === 'failed' || outcome === 'cancelled') {
      job.state = outcome;
      job.endedAt = at;
      if (this.host.bus.observed && outcome === 'completed') this.host.bus.emit({ type: 'job.completed', jobId: job.jobId, at });
      if (this.host.bus.observed && outcome === 'failed') {
        this.host.bus.emit({ type: 'job.failed', jobId: job.jobId, failed: job.counts.failed, skipped: job.counts.skipped, at });
      }
    }
    this.settle(job, outcome);
  }

  settle(job: Job, outcome: JobOutcome): void {
    job.checkpoint?.jobChanged();
    job.outcome = outcome;
    const waiters = job.waiters;
    job.waiters = [];
    for (const resolve of waiters) resolve(outcome);
  }
}

/**
 * Four times what one dispatch decision can take from a job (its concurrency), within
 * [32, 1000]. A turn that dispatched plans again at once while sheets wait for room, so a
 * window above one decision's take costs no throughput; a small one keeps few actors
 * alive at once, and short-lived actors are cheap for the garbage collector (S1 at 100k
 * sheets ran about 6% faster with 32 than with 1,000).
 */
export function defaultReadyWindow(concurrency: number): number {
  return Math.min(1000, Math.max(32, 4 * concurrency));
}
