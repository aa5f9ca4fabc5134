import type { AttemptOutcome } from '../actors/instrument.js';
import { mkdirSync } from 'node:fs';
import { nanoid } from 'nanoid';
import type { Observable } from 'rxjs';
import { createActor, type Actor } from 'xstate';
import { conductorMachine } from '../machines/conductor.js';
import type { FermataDecision } from '../machines/types.js';
import { attemptNumber } from './attempt-request.js';
import { attemptEndedEvent, judgement, UNJUDGED } from './attempt-ended.js';
import { realClock, type Clock } from './clock.js';
import type { ConductorOptions, JobResult, RegisterOptions, RestoreOptions } from './conductor-options.js';

export type { ConductorOptions, JobResult, RegisterOptions, RestoreOptions };
import { ConductorClosedError, NotInFermataError, UnknownJobError, UnknownSheetError } from './errors.js';
import { EventBus } from './event-bus.js';
import type { BatonEvent } from './events.js';
import { Inbox } from './inbox.js';
import { createInstruments } from './instruments.js';
import { Job, type JobOutcome, type LiveAttempt, type SheetRecord, type StageRuntime } from './job.js';
import { checkpointTo, jobFromCheckpoint } from './checkpointed-job.js';
import { processStartTime } from './process-identity.js';
import { AttemptsInFlight, type Launch, type MusicianReport } from './attempts-in-flight.js';
import { judgeAttempt } from './outcome-event.js';
import { InstrumentGates } from './instrument-gates.js';
import type { RateLimitCoordinator } from './rate-limits.js';
import { planDispatch, type DispatchPlan, type DispatchView, type JobView } from './plan-dispatch.js';
import type { Score } from './score/types.js';
import { SheetDriver, type SheetDriverHost, type TimerFiring } from './sheet-driver.js';
import { jobStatus, type JobStatus } from './status.js';

const DEFAULT_READY_WINDOW = 1000;

type InboxEvent =
  | MusicianReport
  | TimerFiring
  /** Plan again (a pacing gap passed, a gate changed). */
  | { kind: 'wake'; job?: Job }
  /** Work that must happen inside a turn, posted from a timer or a callback. */
  | { kind: 'call'; work: () => void };

/**
 * Owns every registered job and the actors of their sheets. All changes go through one
 * ordered inbox; after each drain the conductor actor takes its dispatch decision with
 * `planDispatch`, a pure function of a view of this state.
 */
export class Conductor {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly maxConcurrent: number;
  private readonly inspect: ConductorOptions['inspect'];
  private readonly bus = new EventBus();
  private readonly inbox: Inbox<InboxEvent>;
  private readonly sheets: SheetDriver;
  /** Something changed that may let more sheets be dispatched. */
  private dirty = false;
  private shuttingDown = false;
  private closed = false;
  private readonly jobs = new Map<string, Job>();
  private jobOrder: Job[] = [];
  private rotation = 0;
  private readonly attempts: AttemptsInFlight;
  /** Rate limits and circuit breakers, folded into what the planner may dispatch. */
  private readonly instrumentGates: InstrumentGates;
  private plan: DispatchPlan | undefined;
  private readonly actor: Actor<typeof conductorMachine>;

  /** Observer events of every job; see `BatonEvent`. Subscribers never slow the conductor. */
  readonly events$: Observable<BatonEvent> = this.bus.events$;

  constructor(options: ConductorOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.maxConcurrent = options.maxConcurrent ?? Infinity;
    const readyWindow = options.readyWindow ?? DEFAULT_READY_WINDOW;
    if (!Number.isInteger(readyWindow) || readyWindow < 1) {
      throw new RangeError(`ConductorOptions.readyWindow must be a positive integer, got ${String(options.readyWindow)}`);
    }
    this.inspect = options.inspect;
    this.inbox = new Inbox<InboxEvent>(
      (event) => this.handle(event),
      () => this.turn(),
    );
    const host: SheetDriverHost = {
      clock: this.clock,
      bus: this.bus,
      inspect: this.inspect,
      post: (event) => this.inbox.post(event),
      wake: () => void (this.dirty = true),
      readyWindow,
      circuitOpen: (instrument) => this.instrumentGates.circuitOpen(instrument),
    };
    this.sheets = new SheetDriver(host);
    this.instrumentGates = new InstrumentGates({
      clock: this.clock,
      bus: this.bus,
      inspect: this.inspect,
      circuitOpened: (instrument) => this.inbox.post({ kind: 'call', work: () => this.sheets.moveOff(this.jobOrder, instrument) }),
      limitLifted: (instrument, model) =>
        this.inbox.post({ kind: 'call', work: () => this.sheets.liftWaiting(this.jobOrder, instrument, model) }),
      wake: () => {
        this.dirty = true;
        this.inbox.post({ kind: 'wake' });
      },
      policyChanged: () => {
        for (const job of this.jobOrder) job.checkpoint?.jobChanged();
      },
    });
    this.attempts = new AttemptsInFlight({
      clock: this.clock,
      bus: this.bus,
      sheets: this.sheets,
      post: (report) => this.inbox.post(report),
      roomFreed: () => {
        this.dirty = true;
        this.inbox.post({ kind: 'wake' });
      },
    });
    const logic = conductorMachine.provide({
      guards: {
        hasDispatch: () => {
          this.plan = planDispatch(this.view(), { maxConcurrent: this.maxConcurrent });
          return this.plan.dispatch.length > 0;
        },
      },
      actions: {
        dispatch: () => {
          if (this.plan !== undefined) this.applyPlan(this.plan);
        },
      },
    });
    this.actor = createActor(logic, { id: 'conductor', ...(this.inspect ? { inspect: this.inspect } : {}) });
    this.actor.start();
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
    this.instrumentGates.restore(policies);
    for (const { record, state, context } of revive) this.sheets.revive(job, record, state, context);
    for (const stage of job.stages) if (stage.doomed) this.sheets.doom(job, stage);
    this.adopt(job, release);
    return job.jobId;
  }

  private adopt(job: Job, release: Iterable<StageRuntime>): void {
    if (job.checkpoint !== undefined) {
      const names = Object.keys(job.score.instruments);
      job.checkpoint.policies = () => this.instrumentGates.stateFor(names);
    }
    // Every instrument, a function included, is promised an existing workspace.
    mkdirSync(job.score.workspace, { recursive: true });
    this.attempts.buffers.adopt(job.jobId, job.score.instruments);
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
    job.pauseReasons.add(reason);
    job.checkpoint?.jobChanged();
    if (job.state === 'running') {
      job.state = 'paused';
      if (this.bus.observed) this.bus.emit({ type: 'job.paused', jobId, reason, at: this.clock.now() });
    }
  }

  /** Lifts one pause reason; the job runs again once no reason is left. */
  resume(jobId: string, reason = 'user'): void {
    const job = this.job(jobId);
    job.pauseReasons.delete(reason);
    job.checkpoint?.jobChanged();
    if (job.outcome === 'paused' || job.outcome === 'held') {
      job.outcome = undefined;
      this.sheets.checkJob(job);
    }
    if (job.state === 'paused' && job.pauseReasons.size === 0) {
      job.state = 'running';
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
    job.budgetUsd = budgetUsd;
    job.checkpoint?.jobChanged();
    if (budgetUsd === undefined || job.spentUsd < budgetUsd) this.resume(jobId, 'budget');
    else this.pause(jobId, 'budget');
  }

  /** Cancels every sheet that has not ended; running attempts are killed. */
  cancel(jobId: string): void {
    const job = this.job(jobId);
    if (job.state === 'cancelled' || job.state === 'completed' || job.state === 'failed') return;
    job.state = 'cancelled';
    job.checkpoint?.jobChanged();
    for (const record of job.sheets) this.sheets.send(job, record, { type: 'CANCEL' });
    job.readyQueues.clear();
    job.backlog.clear();
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
    const record = job.byId.get(sheetId);
    if (record === undefined) throw new UnknownSheetError(jobId, sheetId);
    if (record.state !== 'fermata') throw new NotInFermataError(sheetId, record.state);
    if (this.bus.observed) {
      this.bus.emit({ type: 'sheet.decided', jobId, sheetId, decision, at: this.clock.now() });
    }
    if (job.outcome === 'held') job.outcome = undefined;
    this.sheets.send(job, record, { type: 'DECIDE', decision });
    this.sheets.checkJob(job);
    this.inbox.drainNow();
  }

  /**
   * Resolves when the job has ended (`completed`, `failed`, `cancelled`), when it can go no
   * further without a fermata decision (`held`), or when the conductor shut down first
   * (`interrupted`).
   */
  waitForCompletion(jobId: string): Promise<JobResult> {
    const job = this.job(jobId);
    const result = (outcome: JobOutcome): JobResult => ({ ...this.status(jobId), outcome });
    if (job.outcome !== undefined) return Promise.resolve(result(job.outcome));
    return new Promise((resolve) => job.waiters.push((outcome) => resolve(result(outcome))));
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
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      this.actor.send({ type: 'SHUTDOWN' });
      this.attempts.abortAll('shutdown');
      for (const job of this.jobOrder) {
        job.pacingTimer?.unsubscribe();
        for (const record of job.sheets) {
          record.timer?.unsubscribe();
          record.timer = undefined;
        }
      }
    }
    // Starts still queued run with their attempts already aborted: none begins its work,
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
      if (job.outcome === undefined) this.sheets.settle(job, 'interrupted');
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
    this.instrumentGates.dispose();
    this.actor.send({ type: 'DRAINED' });
    this.actor.stop();
    this.inbox.close();
    this.bus.close();
  }

  // ── inbox ────────────────────────────────────────────────────────────────

  /** After every drain: one dispatch decision, if anything changed since the last one. */
  private turn(): void {
    for (const job of this.jobOrder) if (job.backlog.size > 0) this.sheets.admit(job);
    this.flushAll();
    if (this.dirty && !this.shuttingDown) {
      this.dirty = false;
      this.actor.send({ type: 'TURN' });
      if (this.attempts.buffers.active && this.plan !== undefined) {
        this.attempts.buffers.announceAtCapacity(this.plan, this.jobs, this.clock.now());
      }
      // Dispatching made room in ready windows: admit from the backlogs and plan again
      // now, not when the next attempt ends, so free slots never wait on the window.
      if (this.plan !== undefined && this.plan.dispatch.length > 0 && this.jobOrder.some((job) => job.backlog.size > 0)) {
        this.inbox.post({ kind: 'wake' });
      }
      this.schedulePacing();
    }
  }

  /** A paced job with sheets still ready wakes the conductor when its next gap has passed. */
  private schedulePacing(): void {
    for (const job of this.jobOrder) {
      if (job.pacingMs <= 0 || job.pacingTimer !== undefined || job.state !== 'running') continue;
      let waiting = false;
      for (const queue of job.readyQueues.values()) if (queue.sheets.size > 0) waiting = true;
      if (!waiting || job.lastDispatchAt === undefined) continue;
      const delay = Math.max(0, job.lastDispatchAt + job.pacingMs - this.clock.now());
      job.pacingTimer = this.clock.schedule(() => this.inbox.post({ kind: 'wake', job }), delay);
    }
  }

  private handle(event: InboxEvent): void {
    if (event.kind === 'wake') {
      if (event.job) event.job.pacingTimer = undefined;
      this.dirty = true;
      return;
    }
    if (event.kind === 'call') {
      event.work();
      return;
    }
    const { job, record } = event;
    switch (event.kind) {
      case 'started':
        if (record.attempt === event.attempt && record.state === 'dispatched') {
          this.sheets.send(job, record, { type: 'STARTED' });
          if (event.pid !== undefined && event.attempt.row !== undefined) {
            job.checkpoint?.attemptProcess(event.attempt.row, event.pid, processStartTime(event.pid));
          }
          if (this.bus.observed) {
            this.bus.emit({
              type: 'sheet.running',
              jobId: job.jobId,
              sheetId: record.id,
              attempt: attemptNumber(record.actor!.getSnapshot().context),
              at: this.clock.now(),
            });
          }
        }
        return;
      case 'finished':
        if (this.attempts.release(job, event.attempt)) this.dirty = true;
        const current = record.attempt === event.attempt;
        if (current) record.attempt = undefined;
        if (current && !this.shuttingDown && (record.state === 'dispatched' || record.state === 'running')) {
          this.settle(job, record, event.attempt, event.outcome);
        } else {
          if (this.bus.observed) this.bus.emit(attemptEndedEvent(job, record, event.attempt, UNJUDGED, 0, this.clock.now()));
          // A probe whose sheet was cancelled says nothing: another may go through.
          if (event.attempt.probe) this.instrumentGates.attemptEnded(event.attempt.instrument, 'none', true, undefined);
        }
        this.sheets.checkJob(job);
        return;
      case 'timer':
        if (record.timer === event.timer) {
          record.timer = undefined;
          this.sheets.send(job, record, event.event);
        }
        return;
    }
  }

  // ── dispatch ─────────────────────────────────────────────────────────────

  private view(): DispatchView {
    return {
      shuttingDown: this.shuttingDown,
      inFlight: this.attempts.occupancy.total,
      instrumentInFlight: this.attempts.occupancy.byInstrument,
      modelInFlight: this.attempts.occupancy.byModel,
      jobs: this.rotatedJobs(),
      gates: this.instrumentGates.gates,
      now: this.clock.now(),
      buffers: this.attempts.buffers.byJob,
    };
  }

  /** Serves jobs from a rotating start so that no job starves the others. */
  private *rotatedJobs(): Generator<JobView> {
    const jobs = this.jobOrder;
    const n = jobs.length;
    if (n === 0) return;
    const start = this.rotation++ % n;
    for (let i = 0; i < n; i++) yield jobs[(start + i) % n]!;
  }

  /**
   * Marks every planned sheet dispatched, writes the checkpoint, and only then starts the
   * musicians: a crash in between leaves sheets that are `dispatched` on disk and not
   * running anywhere, which a resume puts back to `ready`.
   */
  private applyPlan(plan: DispatchPlan): void {
    const launches: Launch[] = [];
    for (const ref of plan.dispatch) {
      const job = this.jobs.get(ref.jobId)!;
      const launch = this.attempts.prepare(job, job.sheets[ref.sheet]!);
      const name = launch.attempt.instrument;
      if (this.instrumentGates.gates.get(name)?.allows === 'one') {
        launch.attempt.probe = true;
        this.instrumentGates.probeStarted(name);
      }
      launches.push(launch);
    }
    this.flushAll();
    for (const launch of launches) {
      if (launch.job.checkpointError === undefined) this.attempts.launch(launch);
    }
  }

  private flushAll(): void {
    for (const job of this.jobOrder) this.flush(job);
  }

  /** Writes a job's checkpoint. If the store fails, the job stops acting until it is resumed. */
  private flush(job: Job): void {
    if (job.checkpoint === undefined || job.checkpointError !== undefined) return;
    try {
      job.checkpoint.flush(job, this.clock.now());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      job.checkpointError = message;
      job.pauseReasons.add('checkpoint');
      job.state = 'paused';
      for (const record of job.sheets) if (record.attempt !== undefined) this.attempts.abort(record.attempt, 'shutdown');
      if (this.bus.observed) {
        this.bus.emit({ type: 'job.paused', jobId: job.jobId, reason: `checkpoint failed: ${message}`, at: this.clock.now() });
      }
      this.sheets.settle(job, 'interrupted');
    }
  }

  /** The process-wide rate limits: report, query, clear (waiting sheets go back to ready). */
  get rateLimits(): RateLimitCoordinator {
    return this.instrumentGates.rateLimits;
  }

  /** The state of an instrument's circuit breaker (`closed` when it has none). */
  breakerState(instrument: string): 'closed' | 'open' | 'halfOpen' {
    return this.instrumentGates.breakerState(instrument);
  }

  /** An attempt ended: count its cost, let the sheet decide, and pause a job past its budget. */
  private settle(job: Job, record: SheetRecord, attempt: LiveAttempt, outcome: AttemptOutcome): void {
    const now = this.clock.now();
    const settled = judgeAttempt(job, record, attempt, outcome, now, this.random());
    const event = settled.event;
    if (event.type === 'RATE_LIMITED') {
      // The limit is the instrument's, in every job: a later report never shortens it.
      const until = this.instrumentGates.reportRateLimit(attempt.instrument, event.waitMs, { jobId: job.jobId, sheetId: record.id });
      settled.event = { ...event, waitMs: Math.max(0, until - now) };
    }
    const breaker = job.score.instruments[attempt.instrument]?.circuitBreaker;
    this.instrumentGates.attemptEnded(attempt.instrument, settled.verdict, attempt.probe === true, breaker);
    if (outcome.validation) record.failedValidations = outcome.validation.failed;
    record.costUsd += settled.costUsd;
    job.spentUsd += settled.costUsd;
    if (outcome.status === 'success') {
      record.outputFile = outcome.stdoutFile;
      record.output = outcome.output;
    }
    if (settled.event.type === 'SUCCEEDED') record.passRate = settled.event.passRate;
    if (this.bus.observed) {
      this.bus.emit(attemptEndedEvent(job, record, attempt, judgement(settled.event), settled.costUsd, now));
    }
    this.sheets.send(job, record, settled.event);
    if (attempt.row !== undefined) {
      job.checkpoint?.attemptFinished(attempt.row, outcome, record, now, settled.costUsd, settled.event.type === 'RATE_LIMITED');
    }
    if (job.budgetUsd !== undefined && job.spentUsd >= job.budgetUsd && !job.pauseReasons.has('budget')) {
      this.pause(job.jobId, 'budget');
    }
  }

  private job(jobId: string): Job {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw new UnknownJobError(jobId);
    return job;
  }
}
