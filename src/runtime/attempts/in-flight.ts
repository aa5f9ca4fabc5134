import { AttemptAbort } from '../../actors/attempt-abort.js';
import type { AttemptOutcome, AttemptRequest, Instrument } from '../../actors/instruments/instrument.js';
import { perform } from '../../actors/musician.js';
import { runValidations } from '../../actors/validations.js';
import type { Clock } from '../clock.js';
import { Occupancy } from '../dispatch/occupancy.js';
import type { EventBus } from '../event-bus.js';
import type { Job } from '../model/job.js';
import type { LiveAttempt } from '../model/live-attempt.js';
import type { SheetRecord } from '../model/sheet-record.js';
import type { SheetDriver } from '../sheets/sheet-driver.js';
import { launchStarts } from './buffer/launches.js';
import { DispatchBufferRegistry } from './buffer/registry.js';
import type { Launch, MusicianReport } from './launch.js';
import { errorMessage } from '../../util/error-message.js';
import { attemptNumber, attemptRequest, renderValidations } from './request.js';
import { assembleContext, needsContext } from './context.js';

export interface AttemptsHost {
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly sheets: SheetDriver;
  post(report: MusicianReport): void;
  /** A full dispatch buffer has room again. */
  roomFreed(): void;
  /** `ConductorOptions.readContext`. */
  readonly readContext: boolean;
}

/**
 * The attempts in flight across every job: their slots (what the caps count), their
 * musicians, their timeouts and aborts. A slot is held from dispatch until the musician
 * has really ended — a killed process included — so caps hold for processes, not intents.
 */
export class AttemptsInFlight {
  readonly occupancy = new Occupancy();
  private readonly live = new Set<LiveAttempt>();
  /** Musicians that have not reported yet, and who waits for there to be none. */
  private playing = 0;
  private idleWaiters: (() => void)[] = [];
  /** Buffers between the dispatch decision and slow starts, for instruments whose score asks. */
  readonly buffers: DispatchBufferRegistry<Launch>;
  /** Launches handed to a buffer whose musician has not ended: an abort may take them back. */
  private readonly buffered = new Map<LiveAttempt, Launch>();

  constructor(private readonly host: AttemptsHost) {
    this.buffers = new DispatchBufferRegistry(
      launchStarts({
        clock: host.clock,
        bus: host.bus,
        post: (report) => host.post(report),
        conclude: (launch, outcome) => this.conclude(launch, outcome),
        roomFreed: () => host.roomFreed(),
      }),
    );
  }

  get size(): number {
    return this.live.size;
  }

  /** Marks a planned sheet dispatched and takes its slot; nothing starts yet. */
  prepare(job: Job, record: SheetRecord): Launch {
    const { name, model } = job.instrumentOf(record);
    this.host.sheets.send(job, record, { type: 'DISPATCH' });
    const context = record.actor!.getSnapshot().context;
    const now = this.host.clock.now();
    const attempt: LiveAttempt = {
      abort: new AttemptAbort(),
      jobId: job.jobId,
      sheetId: record.id,
      instrument: name,
      model,
      number: attemptNumber(context),
      dispatchedAt: now,
      timeout: undefined,
      abortReason: undefined,
      row: undefined,
    };
    job.dispatched(record, attempt, now);
    this.occupancy.take(name, model);
    attempt.row = job.checkpoint?.attemptStarted(record, attempt, now);
    this.live.add(attempt);
    this.playing++;
    const launch: Launch = { job, record, attempt, request: attemptRequest(job, record, context, name, model) };
    if (this.host.readContext && needsContext(record.stage.spec)) {
      launch.assemble = () =>
        assembleContext(job, record).then((assembled) => (launch.request = attemptRequest(job, record, context, name, model, assembled)));
    }
    return launch;
  }

  /**
   * Starts the musician of a prepared attempt, or hands it to its instrument's dispatch
   * buffer (the planner left a slot for it; should the buffer refuse, it starts here).
   */
  launch(launch: Launch): void {
    const { job, record, attempt, request } = launch;
    const { instrument: name, model } = attempt;
    const timeoutMs = record.stage.spec.timeoutMs ?? job.score.instruments[name]?.timeoutMs;
    if (timeoutMs !== undefined) {
      attempt.timeout = this.host.clock.schedule(() => this.abort(attempt, 'timeout'), timeoutMs);
    }
    if (this.host.bus.observed) {
      this.host.bus.emit({
        type: 'sheet.dispatched',
        jobId: job.jobId,
        sheetId: record.id,
        attempt: request.attempt,
        run: request.run,
        mode: request.mode,
        instrument: name,
        ...(model !== undefined ? { model } : {}),
        at: this.host.clock.now(),
      });
    }
    if (this.buffers.active && this.buffers.of(job.jobId, name)?.offer(launch) === true) {
      this.buffered.set(attempt, launch);
      return;
    }
    const instrument = job.instruments.get(name) as Instrument;
    const played = perform(instrument, launch.assemble?.() ?? request, attempt.abort, (info) =>
      this.host.post({ kind: 'started', job, record, attempt, pid: info?.pid }),
    );
    void played.then((outcome) => this.conclude(launch, outcome));
  }

  private reportEnd({ job, record, attempt }: Launch, outcome: AttemptOutcome): void {
    this.host.post({ kind: 'finished', job, record, attempt, outcome });
    if (--this.playing > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Reports how an attempt ended, once its validations ran, and marks it done; a sheet
   * without validations (the common case) reports at once, with no extra promise hop.
   */
  private conclude(launch: Launch, outcome: AttemptOutcome): void {
    const { job, record, attempt, request } = launch;
    if (this.buffered.size > 0) this.buffered.delete(attempt);
    if (record.stage.spec.validations.length === 0) {
      this.reportEnd(launch, outcome);
      return;
    }
    // A musician always reports: validations that could not even run fail the attempt.
    void this.validated(job, record, request, outcome, attempt.abort).then(
      (judged) => this.reportEnd(launch, judged),
      (error: unknown) => this.reportEnd(launch, { ...outcome, status: 'failure', error: `its validations could not run: ${errorMessage(error)}` }),
    );
  }

  /**
   * A successful attempt is checked against the sheet's validations before it reports:
   * they are part of the attempt, and its slot stays taken while they run.
   */
  private async validated(
    job: Job,
    record: SheetRecord,
    request: AttemptRequest,
    outcome: AttemptOutcome,
    abort: AttemptAbort,
  ): Promise<AttemptOutcome> {
    if (outcome.status !== 'success' || abort.aborted) return outcome;
    const validation = await runValidations(renderValidations(job, record, request), { cwd: request.workspace, signal: abort.signal });
    return { ...outcome, validation };
  }

  /**
   * Aborts an attempt wherever it is. One still queued in its dispatch buffer, or waiting
   * there between start tries, is taken back and ends at once, so its slots go to the next
   * start; one whose start is in progress hears the abort from its instrument.
   */
  abort(attempt: LiveAttempt, reason: 'timeout' | 'cancelled' | 'shutdown'): void {
    if (attempt.abort.aborted) return;
    attempt.abortReason = reason;
    attempt.abort.abort(reason);
    const launch = this.buffered.get(attempt);
    if (launch !== undefined && this.buffers.of(attempt.jobId, attempt.instrument)?.withdraw(launch) === true) {
      attempt.withdrawn = true;
      this.conclude(launch, { status: 'failure', error: `aborted (${reason}) before it left the dispatch buffer` });
    }
  }

  abortAll(reason: 'cancelled' | 'shutdown'): void {
    for (const attempt of this.live) this.abort(attempt, reason);
  }

  /** Frees the slot of an attempt whose musician ended; false if it was freed already. */
  release(job: Job, attempt: LiveAttempt): boolean {
    if (!this.live.delete(attempt)) return false;
    attempt.timeout?.unsubscribe();
    this.occupancy.release(attempt.instrument, attempt.model);
    job.released();
    return true;
  }

  /** Resolves once every musician has ended (reported its outcome). */
  async settled(): Promise<void> {
    while (this.playing > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
