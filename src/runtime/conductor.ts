import { mkdirSync } from 'node:fs';
import { nanoid } from 'nanoid';
import type { Observable } from 'rxjs';
import { startConductorActor, type ConductorActor } from '../actors/conductor-actor.js';
import { FERMATA_DECISIONS, type FermataDecision, type JobOutcome } from '../machines/types.js';
import type { Score } from '../score/types.js';
import { AttemptsInFlight } from './attempts/in-flight.js';
import { AttemptReports } from './attempts/reports.js';
import { realClock, type Clock } from './clock.js';
import type { ConductorOptions, JobResult, RegisterOptions, RestoreOptions } from './conductor-options.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { handleInboxEvent, type InboxEvent, type InboxHandlers } from './conductor-inbox.js';
import { flushOrHalt, type FlushHost } from './durability/flush-or-halt.js';
import { checkpointTo, jobFromCheckpoint } from './durability/checkpointed-job.js';
import {
  BudgetSpentError,
  ConductorClosedError,
  NotInFermataError,
  UnknownDecisionError,
  UnknownJobError,
  UnknownSheetError,
  ensureWorkspace,
} from './errors.js';
import { EventBus } from './event-bus.js';
import type { BatonEvent } from './events.js';
import { breakerGate } from './gates/breaker-gate.js';
import { Gates } from './gates/gates.js';
import { rateLimitGate } from './gates/rate-limit-gate.js';
import { sharedCapGate, type SharedCapState } from './gates/shared-cap-gate.js';
import type { RateLimitCoordinator } from './gates/rate-limits.js';
import { Inbox } from './inbox.js';
import { createInstruments } from './instruments.js';
import { Job } from './model/job.js';
import type { StageRuntime } from './model/stage.js';
import { SheetDriver } from './sheets/sheet-driver.js';
import { jobStatus, type JobStatus } from './status.js';

export type { ConductorOptions, JobResult, RegisterOptions, RestoreOptions };

/**
 * Owns every registered job and the actors of their sheets. All changes go through one
 * ordered inbox; after each drain the conductor actor takes its dispatch decision with
 * `planDispatch`, a pure function of a view of this state.
 */
export class Conductor {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly bus = new EventBus();
  private readonly inbox: Inbox<InboxEvent>;
  private readonly sheets: SheetDriver;
  /** Something changed that may let more sheets be dispatched. */
  private dirty = false;
  private shuttingDown = false;
  private closed = false;
  private readonly jobs = new Map<string, Job>();
  private jobOrder: Job[] = [];
  private readonly attempts: AttemptsInFlight;
  private readonly reports: AttemptReports;
  /** Rate limits, circuit breakers and whatever else may hold instruments back, across every job. */
  private readonly gates: Gates;
  private readonly dispatcher: Dispatcher;
  private readonly actor: ConductorActor;
  private readonly handlers: InboxHandlers;
  private readonly flushHost: FlushHost;

  /** Observer events of every job; see `BatonEvent`. Subscribers never slow the conductor. */
  readonly events$: Observable<BatonEvent> = this.bus.events$;

  constructor(options: ConductorOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    const readyWindow = options.readyWindow;
    if (readyWindow !== undefined && (!Number.isInteger(readyWindow) || readyWindow < 1)) {
      throw new RangeError(`ConductorOptions.readyWindow must be a positive integer, got ${String(options.readyWindow)}`);
    }
    const inspect = options.inspect;
    const wake = (): void => {
      this.dirty = true;
      this.inbox.post({ kind: 'wake' });
    };
    this.inbox = new Inbox<InboxEvent>(
      (event) => handleInboxEvent(event, this.handlers),
      () => this.turn(),
    );
    this.sheets = new SheetDriver({
      clock: this.clock,
      bus: this.bus,
      inspect,
      post: (event) => this.inbox.post(event),
      wake: () => void (this.dirty = true),
      readyWindow,
      unavailable: (instrument) => this.gates.unavailable(instrument),
    });
    this.gates = new Gates({
      clock: this.clock,
      bus: this.bus,
      inspect,
      coordination: options.coordination,
      post: (work) => this.inbox.post({ kind: 'call', work }),
      wake,
      persist: () => {
        for (const job of this.jobOrder) job.checkpoint?.jobChanged();
      },
      unavailable: (instrument, error) =>
        this.inbox.post({ kind: 'call', work: () => this.sheets.moveOff(this.jobOrder, instrument, error) }),
      lifted: (instrument, model) =>
        this.inbox.post({ kind: 'call', work: () => this.sheets.liftWaiting(this.jobOrder, instrument, model) }),
    });
    this.attempts = new AttemptsInFlight({
      clock: this.clock,
      bus: this.bus,
      sheets: this.sheets,
      post: (report) => this.inbox.post(report),
      roomFreed: wake,
      readContext: options.readContext ?? true,
    });
    this.reports = new AttemptReports({
      clock: this.clock,
      random: this.random,
      bus: this.bus,
      sheets: this.sheets,
      attempts: this.attempts,
      gates: this.gates,
      shuttingDown: () => this.shuttingDown,
      slotFreed: () => void (this.dirty = true),
      budgetSpent: (job) => this.pause(job.jobId, 'budget'),
    });
    this.dispatcher = new Dispatcher(
      {
        clock: this.clock,
        attempts: this.attempts,
        gates: this.gates,
        jobs: this.jobs,
        jobOrder: () => this.jobOrder,
        shuttingDown: () => this.shuttingDown,
        flushAll: () => this.flushAll(),
        wakeAfter: (job, delayMs) => {
          job.pacingTimer = this.clock.schedule(() => this.inbox.post({ kind: 'wake', job }), delayMs);
        },
      },
      options.maxConcurrent ?? Infinity,
    );
    this.actor = startConductorActor(this.dispatcher, inspect);
    this.handlers = { sheets: this.sheets, reports: this.reports, planAgain: () => void (this.dirty = true) };
    this.flushHost = {
      clock: this.clock,
      bus: this.bus,
      policies: (job) => this.gates.snapshot(job.instrumentNames),
      abort: (attempt) => this.attempts.abort(attempt, 'shutdown'),
    };
  }

  /** Registers a job and starts dispatching its sheets. Returns the job id. */
  register(score: Score, options: RegisterOptions = {}): string {
    if (this.shuttingDown || this.closed) throw new ConductorClosedError();
    const job = new Job(nanoid(), score, createInstruments(score, options.instruments), this.clock.now());
    if (options.store !== undefined) checkpointTo(job, options.store);
    this.adopt(job, job.stages.filter((stage) => stage.unmet === 0));
    return job.jobId;
  }

  /**
   * Continues the job a store holds, with the score as it is now: completed sheets never
   * run again; see `restoreJob` for what happens to the others. Attempts that were running
   * when the previous process died are stopped if their processes are still alive.
   */
  restore(score: Score, options: RestoreOptions): string {
    if (this.shuttingDown || this.closed) throw new ConductorClosedError();
    const { job, revive, release, policies } = jobFromCheckpoint(score, options, this.clock.now());
    this.gates.restore(policies);
    for (const { record, state, context } of revive) this.sheets.revive(job, record, state, context);
    for (const stage of job.stages) if (stage.doomed) this.sheets.doom(job, stage);
    this.adopt(job, release);
    return job.jobId;
  }

  private adopt(job: Job, release: Iterable<StageRuntime>): void {
    // Every instrument, a function included, is promised an existing workspace.
    ensureWorkspace(job.score.workspace, (path) => mkdirSync(path, { recursive: true }));
    this.attempts.buffers.adopt(job.jobId, job.score.instruments);
    this.gates.adopt(job.score.instruments);
    this.jobs.set(job.jobId, job);
    this.jobOrder.push(job);
    if (this.bus.observed) {
      this.bus.emit({ type: 'job.started', jobId: job.jobId, name: job.score.name, sheets: job.sheets.length, at: this.clock.now() });
    }
    for (const stage of release) this.sheets.release(job, stage);
    this.sheets.checkJob(job);
    this.dirty = true;
    this.inbox.drainNow();
  }

  /** Stops dispatching new sheets of a job; attempts already running finish. */
  pause(jobId: string, reason = 'user'): void {
    const job = this.job(jobId);
    if (job.outcome !== undefined && job.outcome !== 'held') return;
    if (job.pause(reason) && this.bus.observed) this.bus.emit({ type: 'job.paused', jobId, reason, at: this.clock.now() });
  }

  /**
   * Lifts one pause reason; the job runs again once no reason is left.
   * @throws BudgetSpentError for `budget` while the job has spent its budget: only
   * `setBudget` above what it spent lifts that pause.
   */
  resume(jobId: string, reason = 'user'): void {
    const job = this.job(jobId);
    if (reason === 'budget' && job.budgetUsd !== undefined && job.spentUsd >= job.budgetUsd && job.pauseReasons.has('budget')) {
      throw new BudgetSpentError(jobId, job.spentUsd, job.budgetUsd);
    }
    const resumed = job.unpause(reason);
    if (job.reopen()) this.sheets.checkJob(job);
    if (resumed) {
      if (this.bus.observed) this.bus.emit({ type: 'job.resumed', jobId, at: this.clock.now() });
      this.dirty = true;
      this.inbox.drainNow();
    }
  }

  /**
   * Sets a job's budget. A job paused because it spent its budget runs again once the new
   * budget is above what it spent.
   */
  setBudget(jobId: string, budgetUsd: number | undefined): void {
    const job = this.job(jobId);
    job.setBudget(budgetUsd);
    if (budgetUsd === undefined || job.spentUsd < budgetUsd) this.resume(jobId, 'budget');
    else this.pause(jobId, 'budget');
  }

  /** Cancels every sheet that has not ended; running attempts are killed. */
  cancel(jobId: string): void {
    const job = this.job(jobId);
    if (!job.cancel()) return;
    for (const record of job.sheets) this.sheets.send(job, record, { type: 'CANCEL' });
    // The cancellation is on disk before any process is killed.
    this.flush(job);
    for (const record of job.sheets) if (record.attempt !== undefined) this.attempts.abort(record.attempt, 'cancelled');
    if (this.bus.observed) this.bus.emit({ type: 'job.cancelled', jobId, at: this.clock.now() });
    this.sheets.checkJob(job);
    this.inbox.drainNow();
  }

  /** Resolves a fermata: `retry` runs the sheet again, `skip`, `fail`, or `accept` (completed). */
  decide(jobId: string, sheetId: string, decision: FermataDecision): void {
    const job = this.job(jobId);
    // JavaScript callers are not held to the type.
    if (!(FERMATA_DECISIONS as readonly string[]).includes(decision)) throw new UnknownDecisionError(decision, FERMATA_DECISIONS);
    const record = job.byId.get(sheetId);
    if (record === undefined) throw new UnknownSheetError(jobId, sheetId);
    if (record.state !== 'fermata') throw new NotInFermataError(sheetId, record.state);
    if (this.bus.observed) {
      this.bus.emit({ type: 'sheet.decided', jobId, sheetId, decision, at: this.clock.now() });
    }
    if (job.outcome === 'held') job.reopen();
    this.sheets.send(job, record, { type: 'DECIDE', decision });
    this.sheets.checkJob(job);
    this.inbox.drainNow();
  }

  /**
   * Resolves when the job has ended (`completed`, `failed`, `cancelled`), when it can go no
   * further without a fermata decision (`held`), or when the conductor shut down first
   * (`interrupted`), and only after every `events$` subscriber has had the events up to
   * that end.
   */
  waitForCompletion(jobId: string): Promise<JobResult> {
    const job = this.job(jobId);
    return new Promise((resolve) =>
      job.whenSettled((outcome: JobOutcome) => {
        const result = { ...this.status(jobId), outcome };
        void this.bus.delivered().then(() => resolve(result));
      }),
    );
  }

  /** A snapshot of a job: its state, counts per sheet state, and every sheet. */
  status(jobId: string): JobStatus {
    return jobStatus(this.job(jobId), this.clock.now());
  }

  /** Ids of the registered jobs, in registration order. */
  jobIds(): string[] {
    return this.jobOrder.map((job) => job.jobId);
  }

  /**
   * Stops dispatching, kills every running attempt (their process groups with them) and
   * waits for the musicians to end, then stops every actor. Jobs not yet ended resolve
   * their `waitForCompletion` as `interrupted`; their sheets keep the states they had.
   * Resolves once every `events$` subscriber has had every event and its `complete`.
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      this.actor.send({ type: 'SHUTDOWN' });
      this.attempts.abortAll('shutdown');
      for (const job of this.jobOrder) {
        job.pacingTimer?.unsubscribe();
        for (const record of job.sheets) record.clearTimer();
      }
    }
    // The aborts took back every start still queued or between tries: none begins its work,
    // and their sheets stay `dispatched`, which a resume puts back to `ready`.
    await this.attempts.buffers.close();
    await this.attempts.settled();
    this.closed = true;
    for (const job of this.jobOrder) {
      for (const record of job.sheets) {
        record.actor?.stop();
        record.actor = undefined;
      }
      // Held and paused jobs keep saying so in the checkpoint; only running ones were cut short.
      if (job.outcome === undefined) job.settle('interrupted');
    }
    this.flushAll();
    for (const job of this.jobOrder) {
      if (job.checkpoint === undefined) continue;
      try {
        job.checkpoint.store.releaseLock();
      } catch {
        // The store may already be closed by its owner; the lock then dies with the process.
      }
    }
    // The last releases and verdicts reach the coordination backend before its owner closes it.
    await this.gates.close();
    this.actor.send({ type: 'DRAINED' });
    this.actor.stop();
    this.inbox.close();
    this.bus.close();
    await this.bus.ended();
  }

  // ── inbox ────────────────────────────────────────────────────────────────

  /** After every drain: one dispatch decision, if anything changed since the last one. */
  private turn(): void {
    for (const job of this.jobOrder) if (job.backlog.size > 0) this.sheets.admit(job);
    this.flushAll();
    if (this.dirty && !this.shuttingDown) {
      this.dirty = false;
      this.actor.send({ type: 'TURN' });
      const plan = this.dispatcher.plan;
      if (this.attempts.buffers.active && plan !== undefined) {
        this.attempts.buffers.announceAtCapacity(plan, this.jobs, this.clock.now());
      }
      // Dispatching made room in ready windows: admit from the backlogs and plan again
      // now, not when the next attempt ends, so free slots never wait on the window.
      if (plan !== undefined && plan.dispatch.length > 0 && this.jobOrder.some((job) => job.backlog.size > 0)) {
        this.inbox.post({ kind: 'wake' });
      }
      this.dispatcher.schedulePacing();
    }
  }

  // ── checkpoint ───────────────────────────────────────────────────────────

  private flushAll(): void {
    for (const job of this.jobOrder) this.flush(job);
  }

  private flush(job: Job): void {
    flushOrHalt(job, this.flushHost);
  }

  /** The process-wide rate limits: report, query, clear (waiting sheets go back to ready). */
  get rateLimits(): RateLimitCoordinator {
    return this.gates.of(rateLimitGate).limits;
  }

  /** The state of an instrument's circuit breaker (`closed` when it has none). */
  breakerState(instrument: string): 'closed' | 'open' | 'halfOpen' {
    return this.gates.of(breakerGate).state(instrument);
  }

  /**
   * Where policy state is shared (`target`, and whether the backend answers) and the
   * `shared_concurrency` caps of every registered job: attempts of each identity running
   * on every conductor at the latest read, and this conductor's share.
   */
  sharedPolicy(): SharedCapState {
    return this.gates.of(sharedCapGate).snapshot(new Set(this.jobOrder.flatMap((job) => [...job.instrumentNames]))) ?? { caps: [] };
  }

  private job(jobId: string): Job {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw new UnknownJobError(jobId);
    return job;
  }
}
