import type { AttemptOutcome } from '../../actors/instruments/instrument.js';
import { attemptEndedEvent, judgement, UNJUDGED } from './ended-event.js';
import { attemptNumber } from './request.js';
import type { AttemptsInFlight, MusicianReport } from './in-flight.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../event-bus.js';
import type { InstrumentGates } from '../gates/instrument-gates.js';
import type { Job, LiveAttempt, SheetRecord } from '../model/job.js';
import { judgeAttempt } from './judge.js';
import { processStartTime } from '../../actors/process/identity.js';
import type { SheetDriver } from '../sheets/sheet-driver.js';

/** What the reports need from the conductor that owns them. */
export interface AttemptReportsHost {
  readonly clock: Clock;
  readonly random: () => number;
  readonly bus: EventBus;
  readonly sheets: SheetDriver;
  readonly attempts: AttemptsInFlight;
  readonly gates: InstrumentGates;
  shuttingDown(): boolean;
  /** A slot was freed: plan again at the end of the turn. */
  slotFreed(): void;
  /** The job spent its budget: it starts nothing new until the budget is raised. */
  budgetSpent(job: Job): void;
}

/**
 * What the conductor does, inside a turn, with what a musician reports: a start moves the
 * sheet to `running`; an end frees its slot, is judged (rate limit, cost, budget, breaker
 * verdict) and lets the sheet decide where it goes.
 */
export class AttemptReports {
  constructor(private readonly host: AttemptReportsHost) {}

  handle(report: MusicianReport): void {
    if (report.kind === 'started') this.started(report);
    else this.finished(report);
  }

  private started({ job, record, attempt, pid }: Extract<MusicianReport, { kind: 'started' }>): void {
    if (record.attempt !== attempt || record.state !== 'dispatched') return;
    const { sheets, bus, clock } = this.host;
    sheets.send(job, record, { type: 'STARTED' });
    if (pid !== undefined && attempt.row !== undefined) job.checkpoint?.attemptProcess(attempt.row, pid, processStartTime(pid));
    if (bus.observed) {
      bus.emit({
        type: 'sheet.running',
        jobId: job.jobId,
        sheetId: record.id,
        attempt: attemptNumber(record.actor!.getSnapshot().context),
        at: clock.now(),
      });
    }
  }

  private finished({ job, record, attempt, outcome }: Extract<MusicianReport, { kind: 'finished' }>): void {
    const { attempts, bus, clock, gates, sheets } = this.host;
    if (attempts.release(job, attempt)) this.host.slotFreed();
    const current = record.attempt === attempt;
    if (current) record.attempt = undefined;
    if (current && !this.host.shuttingDown() && (record.state === 'dispatched' || record.state === 'running')) {
      this.settle(job, record, attempt, outcome);
    } else {
      if (bus.observed) bus.emit(attemptEndedEvent(job, record, attempt, UNJUDGED, 0, clock.now()));
      // A probe whose sheet was cancelled says nothing: another may go through.
      if (attempt.probe) gates.attemptEnded(attempt.instrument, 'none', true, undefined);
    }
    sheets.checkJob(job);
  }

  /** An attempt ended: count its cost, let the sheet decide, and stop a job past its budget. */
  private settle(job: Job, record: SheetRecord, attempt: LiveAttempt, outcome: AttemptOutcome): void {
    const { bus, clock, gates, sheets } = this.host;
    const now = clock.now();
    const settled = judgeAttempt(job, record, attempt, outcome, now, this.host.random());
    const event = settled.event;
    if (event.type === 'RATE_LIMITED') {
      // The limit is the instrument's, in every job: a later report never shortens it.
      const until = gates.reportRateLimit(attempt.instrument, event.waitMs, { jobId: job.jobId, sheetId: record.id });
      settled.event = { ...event, waitMs: Math.max(0, until - now) };
    }
    const breaker = job.score.instruments[attempt.instrument]?.circuitBreaker;
    gates.attemptEnded(attempt.instrument, settled.verdict, attempt.probe === true, breaker);
    if (outcome.validation) record.failedValidations = outcome.validation.failed;
    record.costUsd += settled.costUsd;
    job.spentUsd += settled.costUsd;
    if (outcome.status === 'success') {
      record.outputFile = outcome.stdoutFile;
      record.output = outcome.output;
    }
    if (settled.event.type === 'SUCCEEDED') record.passRate = settled.event.passRate;
    if (bus.observed) bus.emit(attemptEndedEvent(job, record, attempt, judgement(settled.event), settled.costUsd, now));
    sheets.send(job, record, settled.event);
    if (attempt.row !== undefined) {
      job.checkpoint?.attemptFinished(attempt.row, outcome, record, now, settled.costUsd, settled.event.type === 'RATE_LIMITED');
    }
    if (job.budgetUsd !== undefined && job.spentUsd >= job.budgetUsd && !job.pauseReasons.has('budget')) {
      this.host.budgetSpent(job);
    }
  }
}
