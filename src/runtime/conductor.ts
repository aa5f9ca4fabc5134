import { nanoid } from 'nanoid';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import type { AttemptOutcome, Instrument } from '../actors/instrument.js';
import { perform } from '../actors/musician.js';
import { conductorMachine } from '../machines/conductor.js';
import type { SheetEvent } from '../machines/sheet-events.js';
import { sheetMachine, type SheetInput } from '../machines/sheet.js';
import type { FermataDecision, SheetState } from '../machines/types.js';
import { realClock, type Clock } from './clock.js';
import { dependencyOutputs } from './dependency-outputs.js';
import { UnknownJobError, UnknownSheetError, NotInFermataError, ConductorClosedError } from './errors.js';
import { EventBus } from './event-bus.js';
import type { BatonEvent } from './events.js';
import { createInstruments, type InstrumentOverrides } from './instruments.js';
import { Job, SheetRecord, type JobOutcome, type LiveAttempt, type StageRuntime } from './job.js';
import { outcomeEvent } from './outcome-event.js';
import { modelKey, planDispatch, type DispatchPlan, type DispatchView, type JobView } from './plan-dispatch.js';
import { renderTemplate } from './score/template.js';
import type { Score } from './score/types.js';
import { jobStatus, type JobStatus } from './status.js';

export interface ConductorOptions {
  /**
   * Global cap on sheets dispatched or running at once, across every job.
   * @default Infinity (each score's `concurrency` still applies)
   */
  maxConcurrent?: number;
  /**
   * The one clock and timer source of the runtime. Pass a `VirtualClock` to run in virtual time.
   * @default rxjs `asyncScheduler` (real time)
   */
  clock?: Clock;
  /**
   * Source of randomness for backoff jitter, a function returning [0, 1).
   * @default Math.random
   */
  random?: () => number;
  /** Receives XState inspection events of the conductor and of every sheet actor. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
}

export interface RegisterOptions {
  /** Instruments to use instead of the ones the score describes, by name (for tests and embedding). */
  instruments?: InstrumentOverrides;
}

/** What `waitForCompletion` resolves with: the outcome and a final status snapshot. */
export interface JobResult extends JobStatus {
  outcome: JobOutcome;
}

type InboxEvent =
  | { kind: 'started'; job: Job; record: SheetRecord; attempt: LiveAttempt }
  | { kind: 'finished'; job: Job; record: SheetRecord; attempt: LiveAttempt; outcome: AttemptOutcome }
  | { kind: 'timer'; job: Job; record: SheetRecord; timer: Subscription; event: SheetEvent };

const EMPTY_DEPS = Object.freeze({});

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
  private readonly inbox = new Subject<InboxEvent>();
  private readonly queue: InboxEvent[] = [];
  private queueHead = 0;
  private draining = false;
  private turnScheduled = false;
  /** Something changed that may let more sheets be dispatched. */
  private dirty = false;
  private shuttingDown = false;
  private closed = false;
  private readonly jobs = new Map<string, Job>();
  private jobOrder: Job[] = [];
  private rotation = 0;
  private inFlightTotal = 0;
  private readonly instrumentInFlight = new Map<string, number>();
  private readonly modelInFlight = new Map<string, number>();
  private readonly liveAttempts = new Set<LiveAttempt>();
  private plan: DispatchPlan | undefined;
  private readonly actor: Actor<typeof conductorMachine>;

  /** Observer events of every job; see `BatonEvent`. Subscribers never slow the conductor. */
  readonly events$: Observable<BatonEvent> = this.bus.events$;

  constructor(options: ConductorOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.maxConcurrent = options.maxConcurrent ?? Infinity;
    this.inspect = options.inspect;
    this.inbox.subscribe((event) => this.enqueue(event));
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
    const jobId = nanoid();
    const instruments = createInstruments(score, options.instruments);
    const job = new Job(jobId, score, instruments, this.clock.now());
    this.jobs.set(jobId, job);
    this.jobOrder.push(job);
    if (this.bus.observed) {
      this.bus.emit({ type: 'job.started', jobId, name: score.name, sheets: job.sheets.length, at: this.clock.now() });
    }
    for (const stage of job.stages) {
      if (stage.unmet === 0) this.release(job, stage);
    }
    this.checkJob(job);
    this.dirty = true;
    this.drain();
    return jobId;
  }

  /** Stops dispatching new sheets of a job; attempts already running finish. */
  pause(jobId: string, reason = 'user'): void {
    const job = this.job(jobId);
    if (job.outcome !== undefined && job.outcome !== 'held') return;
    job.pauseReasons.add(reason);
    if (job.state === 'running') {
      job.state = 'paused';
      if (this.bus.observed) this.bus.emit({ type: 'job.paused', jobId, reason, at: this.clock.now() });
    }
  }

  /** Lifts one pause reason; the job runs again once no reason is left. */
  resume(jobId: string, reason = 'user'): void {
    const job = this.job(jobId);
    job.pauseReasons.delete(reason);
    if (job.state === 'paused' && job.pauseReasons.size === 0) {
      job.state = 'running';
      if (this.bus.observed) this.bus.emit({ type: 'job.resumed', jobId, at: this.clock.now() });
      this.dirty = true;
      this.drain();
    }
  }

  /** Cancels every sheet that has not ended; running attempts are killed. */
  cancel(jobId: string): void {
    const job = this.job(jobId);
    if (job.state === 'cancelled' || job.state === 'completed' || job.state === 'failed') return;
    job.state = 'cancelled';
    for (const record of job.sheets) {
      if (record.attempt !== undefined) this.abort(record.attempt, 'cancelled');
      this.toSheet(job, record, { type: 'CANCEL' });
    }
    job.readyQueues.clear();
    if (this.bus.observed) this.bus.emit({ type: 'job.cancelled', jobId, at: this.clock.now() });
    this.checkJob(job);
    this.drain();
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
    this.toSheet(job, record, { type: 'DECIDE', decision });
    this.checkJob(job);
    this.drain();
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
      for (const attempt of this.liveAttempts) this.abort(attempt, 'shutdown');
      for (const job of this.jobOrder) {
        for (const record of job.sheets) {
          record.timer?.unsubscribe();
          record.timer = undefined;
        }
      }
    }
    while (this.liveAttempts.size > 0) {
      await Promise.all([...this.liveAttempts].map((attempt) => attempt.done));
    }
    this.closed = true;
    for (const job of this.jobOrder) {
      for (const record of job.sheets) {
        record.actor?.stop();
        record.actor = undefined;
      }
      if (job.outcome === undefined || job.outcome === 'held') this.settle(job, 'interrupted');
    }
    this.actor.send({ type: 'DRAINED' });
    this.actor.stop();
    this.inbox.complete();
    this.bus.close();
  }

  // ── inbox ────────────────────────────────────────────────────────────────

  private post(event: InboxEvent): void {
    this.inbox.next(event);
  }

  private enqueue(event: InboxEvent): void {
    this.queue.push(event);
    if (!this.draining && !this.turnScheduled) {
      this.turnScheduled = true;
      queueMicrotask(() => {
        this.turnScheduled = false;
        this.drain();
      });
    }
  }

  /** One turn: handle every queued event in order, then take one dispatch decision. */
  private drain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    try {
      do {
        while (this.queueHead < this.queue.length) {
          const event = this.queue[this.queueHead++]!;
          this.handle(event);
        }
        this.queue.length = 0;
        this.queueHead = 0;
        if (this.dirty && !this.shuttingDown) {
          this.dirty = false;
          this.actor.send({ type: 'TURN' });
        }
      } while (this.queue.length > 0);
    } finally {
      this.draining = false;
    }
  }

  private handle(event: InboxEvent): void {
    const { job, record } = event;
    switch (event.kind) {
      case 'started':
        if (record.attempt === event.attempt && record.state === 'dispatched') {
          this.toSheet(job, record, { type: 'STARTED' });
          if (this.bus.observed) {
            this.bus.emit({
              type: 'sheet.running',
              jobId: job.jobId,
              sheetId: record.id,
              attempt: this.attemptNumber(record),
              at: this.clock.now(),
            });
          }
        }
        return;
      case 'finished':
        this.release_slot(job, event.attempt);
        if (record.attempt === event.attempt) {
          record.attempt = undefined;
          if (!this.shuttingDown && (record.state === 'dispatched' || record.state === 'running')) {
            this.recordOutput(record, event.outcome);
            const sheetEvent = outcomeEvent(event.outcome, event.attempt, this.clock.now(), this.random());
            if (sheetEvent.type === 'SUCCEEDED') record.passRate = sheetEvent.passRate;
            this.toSheet(job, record, sheetEvent);
          }
        }
        this.checkJob(job);
        return;
      case 'timer':
        if (record.timer === event.timer) {
          record.timer = undefined;
          this.toSheet(job, record, event.event);
        }
        return;
    }
  }

  // ── dispatch ─────────────────────────────────────────────────────────────

  private view(): DispatchView {
    return {
      shuttingDown: this.shuttingDown,
      inFlight: this.inFlightTotal,
      instrumentInFlight: this.instrumentInFlight,
      modelInFlight: this.modelInFlight,
      jobs: this.rotatedJobs(),
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

  private applyPlan(plan: DispatchPlan): void {
    for (const ref of plan.dispatch) {
      const job = this.jobs.get(ref.jobId)!;
      this.dispatch(job, job.sheets[ref.sheet]!);
    }
  }

  private dispatch(job: Job, record: SheetRecord): void {
    const { name, model } = job.instrumentOf(record);
    job.readyQueues.get(modelKey(name, model))?.sheets.delete(record.index);
    this.toSheet(job, record, { type: 'DISPATCH' });
    const actor = record.actor!;
    const context = actor.getSnapshot().context;
    const now = this.clock.now();
    record.firstDispatchAt ??= now;

    this.inFlightTotal++;
    job.inFlight++;
    bump(this.instrumentInFlight, name, 1);
    const key = modelKey(name, model);
    if (model !== undefined) bump(this.modelInFlight, key, 1);

    const spec = record.stage.spec;
    const attemptNumber = this.attemptNumber(record);
    const instrument = job.instruments.get(name) as Instrument;
    const controller = new AbortController();
    const deps = spec.dependsOn.length === 0 ? EMPTY_DEPS : dependencyOutputs(job, record);
    const fan = { index: record.member, count: record.stage.size };
    const scope = {
      sheet: { id: record.id, attempt: attemptNumber, mode: context.mode },
      fan,
      workspace: job.score.workspace,
      model,
      vars: spec.vars,
      deps,
    };
    const args = spec.args.length === 0 ? [] : spec.args.map((t) => renderTemplate(t, scope));
    let resolveDone!: () => void;
    const attempt: LiveAttempt = {
      controller,
      instrument: name,
      model,
      timeout: undefined,
      abortReason: undefined,
      done: new Promise<void>((resolve) => (resolveDone = resolve)),
    };
    record.attempt = attempt;
    this.liveAttempts.add(attempt);
    const timeoutMs = spec.timeoutMs ?? job.score.instruments[name]?.timeoutMs;
    if (timeoutMs !== undefined) {
      attempt.timeout = this.clock.schedule(() => this.abort(attempt, 'timeout'), timeoutMs);
    }
    if (this.bus.observed) {
      this.bus.emit({
        type: 'sheet.dispatched',
        jobId: job.jobId,
        sheetId: record.id,
        attempt: attemptNumber,
        mode: context.mode,
        instrument: name,
        ...(model !== undefined ? { model } : {}),
        at: now,
      });
    }
    const request = {
      jobId: job.jobId,
      sheetId: record.id,
      attempt: attemptNumber,
      mode: context.mode,
      fan,
      workspace: job.score.workspace,
      ...(model !== undefined ? { model } : {}),
      vars: spec.vars,
      deps,
      args,
      outputPrefix: `${job.score.workspace}/sheets/${record.id}/${context.dispatches}`,
    };
    perform(instrument, request, controller.signal, () =>
      this.post({ kind: 'started', job, record, attempt }),
    ).then((outcome) => {
      this.post({ kind: 'finished', job, record, attempt, outcome });
      resolveDone();
    });
  }

  /** 1-based number of the attempt a sheet is on, within its current mode. */
  private attemptNumber(record: SheetRecord): number {
    const context = record.actor?.getSnapshot().context;
    if (context === undefined) return record.attempts;
    return context.mode === 'completion' ? context.completionUsed + 1 : context.attempts + 1;
  }

  private abort(attempt: LiveAttempt, reason: 'timeout' | 'cancelled' | 'shutdown'): void {
    if (attempt.controller.signal.aborted) return;
    attempt.abortReason = reason;
    attempt.controller.abort(reason);
  }

  private release_slot(job: Job, attempt: LiveAttempt): void {
    if (!this.liveAttempts.delete(attempt)) return;
    attempt.timeout?.unsubscribe();
    this.inFlightTotal--;
    job.inFlight--;
    bump(this.instrumentInFlight, attempt.instrument, -1);
    if (attempt.model !== undefined) bump(this.modelInFlight, modelKey(attempt.instrument, attempt.model), -1);
    this.dirty = true;
  }

  private recordOutput(record: SheetRecord, outcome: AttemptOutcome): void {
    if (outcome.costUsd !== undefined) record.costUsd += outcome.costUsd;
    if (outcome.status === 'success') {
      record.outputFile = outcome.stdoutFile;
      record.output = outcome.output;
    }
  }

  // ── sheet transitions ────────────────────────────────────────────────────

  /**
   * Sends an event to a sheet and acts on the state it lands in. Pending and terminal
   * sheets have no actor: the few events they accept are applied to the record directly.
   */
  private toSheet(job: Job, record: SheetRecord, event: SheetEvent): void {
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
    if (after === before) return;
    record.state = after;
    job.recount(before, after);
    this.entered(job, record, before, fromIndex);
  }

  private entered(job: Job, record: SheetRecord, before: SheetState, fromIndex: number): void {
    const context = record.actor!.getSnapshot().context;
    const now = this.clock.now();
    const observed = this.bus.observed;
    switch (record.state) {
      case 'ready':
      case 'completion': {
        if (job.state === 'cancelled') return;
        const { name, model } = job.instrumentOf(record);
        job.queueFor(name, model).sheets.add(record.index);
        this.dirty = true;
        if (observed && record.instrumentIndex !== fromIndex) {
          const from = job.instrumentAt(record, fromIndex).name;
          this.bus.emit({
            type: 'sheet.fallback',
            jobId: job.jobId,
            sheetId: record.id,
            from,
            to: name,
            reason: context.reason ?? 'failed',
            error: context.lastError ?? '',
            at: now,
          });
        }
        if (observed && record.state === 'completion') {
          this.bus.emit({ type: 'sheet.partial', jobId: job.jobId, sheetId: record.id, passRate: record.passRate, attempt: context.completionUsed, at: now });
        }
        return;
      }
      case 'retry': {
        const due = context.retryAt ?? now;
        this.schedule(job, record, due - now, { type: 'RETRY_DUE' });
        if (observed) {
          this.bus.emit({
            type: 'sheet.retry',
            jobId: job.jobId,
            sheetId: record.id,
            attempt: context.attempts,
            reason: context.reason ?? 'failed',
            error: context.lastError ?? '',
            delayMs: due - now,
            mode: context.mode,
            at: now,
          });
        }
        return;
      }
      case 'waiting': {
        const until = context.waitUntil ?? now;
        this.schedule(job, record, until - now, { type: 'LIMIT_CLEARED' });
        if (observed) this.bus.emit({ type: 'sheet.waiting', jobId: job.jobId, sheetId: record.id, untilMs: until, at: now });
        return;
      }
      case 'fermata':
        if (observed) {
          this.bus.emit({
            type: 'sheet.fermata',
            jobId: job.jobId,
            sheetId: record.id,
            reason: context.reason ?? 'failed',
            error: context.lastError ?? '',
            at: now,
          });
        }
        return;
      case 'completed':
      case 'failed':
      case 'skipped':
      case 'cancelled':
        record.skippedByDecision = context.skipCause === 'decision';
        if (record.skippedByDecision) job.decisionSkips++;
        this.ended(job, record, before);
        return;
      default:
        return;
    }
  }

  private schedule(job: Job, record: SheetRecord, delayMs: number, event: SheetEvent): void {
    record.timer?.unsubscribe();
    const timer: Subscription = this.clock.schedule(
      () => this.post({ kind: 'timer', job, record, timer, event }),
      Math.max(0, delayMs),
    );
    record.timer = timer;
  }

  /** A sheet reached a terminal state: drop its actor, then release or doom its dependents. */
  private ended(job: Job, record: SheetRecord, before: SheetState): void {
    record.actor = undefined;
    record.timer?.unsubscribe();
    record.timer = undefined;
    record.endedAt = this.clock.now();
    if (before === 'ready' || before === 'completion') {
      const { name, model } = job.instrumentOf(record);
      job.readyQueues.get(modelKey(name, model))?.sheets.delete(record.index);
    }
    this.announceEnd(job, record);
    if (record.state === 'completed' || record.skippedByDecision) this.satisfied(job, record);
    else if (record.state !== 'cancelled') this.doomDependents(job, record);
    this.checkJob(job);
  }

  private endWithoutActor(job: Job, record: SheetRecord, state: 'skipped' | 'failed' | 'cancelled'): void {
    job.recount(record.state, state);
    record.state = state;
    record.endedAt = this.clock.now();
    if (state !== 'cancelled') {
      record.reason = 'dependency';
      if (state === 'failed') record.lastError = 'a dependency did not complete';
    }
    this.announceEnd(job, record);
  }

  private announceEnd(job: Job, record: SheetRecord): void {
    if (!this.bus.observed) return;
    const base = { jobId: job.jobId, sheetId: record.id, at: record.endedAt ?? this.clock.now() };
    switch (record.state) {
      case 'completed':
        this.bus.emit({ ...base, type: 'sheet.completed', attempts: record.attempts, ...(record.costUsd > 0 ? { costUsd: record.costUsd } : {}) });
        return;
      case 'failed':
        this.bus.emit({ ...base, type: 'sheet.failed', reason: record.reason ?? 'failed', error: record.lastError ?? '' });
        return;
      case 'skipped':
        this.bus.emit({ ...base, type: 'sheet.skipped', reason: record.reason ?? 'dependency' });
        return;
      case 'cancelled':
        this.bus.emit({ ...base, type: 'sheet.cancelled' });
        return;
      default:
        return;
    }
  }

  // ── dependencies ─────────────────────────────────────────────────────────

  private satisfied(job: Job, record: SheetRecord): void {
    const stage = record.stage;
    stage.satisfied++;
    for (const dependent of stage.dependentsOfMember(record.member)) this.unmetDown(job, dependent);
    if (stage.satisfied === stage.size) {
      for (const dependent of stage.dependents) this.unmetDown(job, dependent);
    }
  }

  private unmetDown(job: Job, stage: StageRuntime): void {
    stage.unmet--;
    if (stage.unmet === 0 && !stage.doomed) this.release(job, stage);
  }

  /** Every dependency of a stage is satisfied: its members become ready, each a live actor. */
  private release(job: Job, stage: StageRuntime): void {
    if (job.state === 'cancelled') return;
    const spec = stage.spec;
    const primary = job.score.instruments[spec.instrument];
    const input: SheetInput = {
      maxAttempts: 1 + spec.retries,
      completionAttempts: spec.completionAttempts,
      heal: spec.heal,
      escalate: spec.escalate,
      fallbacks: primary?.fallback.length ?? 0,
      backoff: spec.backoff,
    };
    for (let i = stage.first; i < stage.first + stage.size; i++) {
      const record = job.sheets[i]!;
      if (record.state !== 'pending') continue;
      record.actor = createActor(sheetMachine, {
        input,
        id: `${job.jobId}/${record.id}`,
        ...(this.inspect ? { inspect: this.inspect } : {}),
      });
      record.actor.start();
      this.toSheet(job, record, { type: 'DEPS_MET' });
    }
  }

  /**
   * A sheet ended unsatisfied: exactly its transitive dependents are skipped or failed,
   * each by its own `on_dependency_failure`. Works stage by stage, so a fan-out of 1,000
   * depending on another of 1,000 costs 1,000 steps, not 1,000,000.
   */
  private doomDependents(job: Job, record: SheetRecord): void {
    const work: StageRuntime[] = [...record.stage.dependentsOfMember(record.member), ...record.stage.dependents];
    while (work.length > 0) {
      const stage = work.pop()!;
      if (stage.doomed) continue;
      stage.doomed = true;
      const outcome = stage.spec.onDependencyFailure === 'skip' ? 'skipped' : 'failed';
      for (let i = stage.first; i < stage.first + stage.size; i++) {
        const member = job.sheets[i]!;
        if (member.state !== 'pending') continue;
        this.endWithoutActor(job, member, outcome);
        work.push(...stage.dependentsOfMember(member.member));
      }
      work.push(...stage.dependents);
    }
  }

  // ── job end ──────────────────────────────────────────────────────────────

  private checkJob(job: Job): void {
    if (job.outcome !== undefined && job.outcome !== 'held') return;
    if (job.inFlight > 0) return;
    if (job.terminalCount === job.sheets.length) {
      const c = job.counts;
      const unsatisfied = c.failed + c.cancelled + c.skipped - job.decisionSkips;
      const outcome: JobOutcome =
        job.state === 'cancelled' ? 'cancelled' : unsatisfied === 0 ? 'completed' : 'failed';
      job.state = outcome === 'completed' ? 'completed' : outcome === 'failed' ? 'failed' : 'cancelled';
      job.endedAt = this.clock.now();
      if (this.bus.observed) {
        const at = job.endedAt;
        if (outcome === 'completed') this.bus.emit({ type: 'job.completed', jobId: job.jobId, at });
        else if (outcome === 'failed') this.bus.emit({ type: 'job.failed', jobId: job.jobId, failed: c.failed, skipped: c.skipped, at });
      }
      this.settle(job, outcome);
      return;
    }
    if (job.outcome === undefined && job.counts.fermata > 0 && job.activeCount === 0) {
      if (this.bus.observed) {
        const fermatas = job.sheets.filter((s) => s.state === 'fermata').map((s) => s.id);
        this.bus.emit({ type: 'job.held', jobId: job.jobId, fermatas, at: this.clock.now() });
      }
      this.settle(job, 'held');
    }
  }

  private settle(job: Job, outcome: JobOutcome): void {
    job.outcome = outcome;
    const waiters = job.waiters;
    job.waiters = [];
    for (const resolve of waiters) resolve(outcome);
  }

  private job(jobId: string): Job {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw new UnknownJobError(jobId);
    return job;
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next === 0) map.delete(key);
  else map.set(key, next);
}
