import type { AttemptOutcome, AttemptRequest, Instrument } from '../actors/instrument.js';
import { perform } from '../actors/musician.js';
import { attemptNumber, attemptRequest, renderValidations } from './attempt-request.js';
import { runValidations } from '../actors/validations.js';
import type { Clock } from './clock.js';
import { launchStarts } from './dispatch-buffer-launches.js';
import { DispatchBufferRegistry } from './dispatch-buffer-registry.js';
import type { EventBus } from './event-bus.js';
import type { Job, LiveAttempt, SheetRecord } from './job.js';
import { Occupancy } from './occupancy.js';
import { modelKey } from './plan-dispatch.js';
import type { SheetDriver } from './sheet-driver.js';

export interface Launch {
  job: Job;
  record: SheetRecord;
  attempt: LiveAttempt;
  request: AttemptRequest;
  resolveDone: () => void;
}

/** What a musician reports back, through the conductor's inbox. */
export type MusicianReport =
  | { kind: 'started'; job: Job; record: SheetRecord; attempt: LiveAttempt; pid: number | undefined }
  | { kind: 'finished'; job: Job; record: SheetRecord; attempt: LiveAttempt; outcome: AttemptOutcome };

export interface AttemptsHost {
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly sheets: SheetDriver;
  post(report: MusicianReport): void;
  /** A full dispatch buffer has room again. */
  roomFreed(): void;
}

/**
 * The attempts in flight across every job: their slots (what the caps count), their
 * musicians, their timeouts and aborts. A slot is held from dispatch until the musician
 * has really ended — a killed process included — so caps hold for processes, not intents.
 */
export class AttemptsInFlight {
  readonly occupancy = new Occupancy();
  private readonly live = new Set<LiveAttempt>();
  /** Buffers between the dispatch decision and slow starts, for instruments whose score asks. */
  readonly buffers: DispatchBufferRegistry<Launch>;

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
    job.readyQueues.get(modelKey(name, model))?.sheets.delete(record.index);
    this.host.sheets.send(job, record, { type: 'DISPATCH' });
    const context = record.actor!.getSnapshot().context;
    const now = this.host.clock.now();
    record.firstDispatchAt ??= now;
    job.lastDispatchAt = now;
    this.occupancy.take(name, model);
    job.inFlight++;
    let resolveDone!: () => void;
    const attempt: LiveAttempt = {
      controller: new AbortController(),
      instrument: name,
      model,
      number: attemptNumber(context),
      dispatchedAt: now,
      timeout: undefined,
      abortReason: undefined,
      done: new Promise<void>((resolve) => (resolveDone = resolve)),
      row: undefined,
    };
    attempt.row = job.checkpoint?.attemptStarted(job, record, attempt, now);
    record.attempt = attempt;
    this.live.add(attempt);
    return { job, record, attempt, request: attemptRequest(job, record, context, model), resolveDone };
  }

  /**
   * Starts the musician of a prepared attempt, or hands it to its instrument's dispatch
   * buffer (the planner left a slot for it; should the buffer refuse, it starts here).
   */
  launch(launch: Launch): void {
    const { job, record, attempt, request, resolveDone } = launch;
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
        mode: request.mode,
        instrument: name,
        ...(model !== undefined ? { model } : {}),
        at: this.host.clock.now(),
      });
    }
    if (this.buffers.active && this.buffers.of(job.jobId, name)?.offer(launch) === true) return;
    const instrument = job.instruments.get(name) as Instrument;
    const signal = attempt.controller.signal;
    const played = perform(instrument, request, signal, (info) =>
      this.host.post({ kind: 'started', job, record, attempt, pid: info?.pid }),
    );
    // No extra promise hop for the (common) sheet without validations.
    const judged =
      record.stage.spec.validations.length === 0 ? played : played.then((outcome) => this.validated(job, record, request, outcome, signal));
    judged.then((outcome) => {
      this.host.post({ kind: 'finished', job, record, attempt, outcome });
      resolveDone();
    });
  }

  /** Reports how a buffered attempt ended, once its validations ran, and marks it done. */
  private conclude({ job, record, attempt, request, resolveDone }: Launch, outcome: AttemptOutcome): void {
    const report = (judged: AttemptOutcome): void => {
      this.host.post({ kind: 'finished', job, record, attempt, outcome: judged });
      resolveDone();
    };
    if (record.stage.spec.validations.length === 0) report(outcome);
    else void this.validated(job, record, request, outcome, attempt.controller.signal).then(report);
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
    signal: AbortSignal,
  ): Promise<AttemptOutcome> {
    if (outcome.status !== 'success' || signal.aborted) return outcome;
    const validation = await runValidations(renderValidations(job, record, request), { cwd: request.workspace, signal });
    return { ...outcome, validation };
  }

  abort(attempt: LiveAttempt, reason: 'timeout' | 'cancelled' | 'shutdown'): void {
    if (attempt.controller.signal.aborted) return;
    attempt.abortReason = reason;
    attempt.controller.abort(reason);
  }

  abortAll(reason: 'cancelled' | 'shutdown'): void {
    for (const attempt of this.live) this.abort(attempt, reason);
  }

  /** Frees the slot of an attempt whose musician ended; false if it was freed already. */
  release(job: Job, attempt: LiveAttempt): boolean {
    if (!this.live.delete(attempt)) return false;
    attempt.timeout?.unsubscribe();
    this.occupancy.release(attempt.instrument, attempt.model);
    job.inFlight--;
    return true;
  }

  /** Resolves once every musician has ended. */
  async settled(): Promise<void> {
    while (this.live.size > 0) await Promise.all([...this.live].map((attempt) => attempt.done));
  }
}
