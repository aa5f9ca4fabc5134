import type { AttemptOutcome } from '../../actors/instruments/instrument.js';
import { processStartTime } from '../../actors/process/identity.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../event-bus.js';
import type { AttemptVerdict } from '../gates/gate.js';
import type { Gates } from '../gates/gates.js';
import type { Job } from '../model/job.js';
import type { LiveAttempt } from '../model/live-attempt.js';
import type { SheetRecord } from '../model/sheet-record.js';
import type { SheetDriver } from '../sheets/sheet-driver.js';
import { attemptEndedEvent, INTERRUPTED, judgement, UNJUDGED } from './ended-event.js';
import type { AttemptsInFlight } from './in-flight.js';
import { judgeAttempt } from './judge.js';
import type { MusicianReport } from './launch.js';
import { attemptNumber } from './request.js';

const STOPPED = 'interrupted: baton stopped (Ctrl-C, SIGTERM or shutdown) before the attempt ended';

/** What the reports need from the conductor that owns them. */
export interface AttemptReportsHost {
  readonly clock: Clock;
  readonly random: () => number;
  readonly bus: EventBus;
  readonly sheets: SheetDriver;
  readonly attempts: AttemptsInFlight;
  readonly gates: Gates;
  shuttingDown(): boolean;
  /** A slot was freed: plan again at the end of the turn. */
  slotFreed(): void;
  /** The job spent its budget: it starts nothing new until the budget is raised. */
  budgetSpent(job: Job): void;
}

/**
 * What the conductor does, inside a turn, with what a musician reports: a start moves the
 * sheet to `running`; an end frees its slot, is judged (rate limit, cost, budget, health),
 * is told to the gates, and lets the sheet decide where it goes.
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
      const at = clock.now();
      const stopping = current && this.host.shuttingDown();
      // The conductor stopped it: its sheet resumes from the checkpoint, which says so.
      if (stopping && attempt.row !== undefined) {
        job.checkpoint?.attemptInterrupted(attempt.row, record, at, STOPPED, outcome);
      } else if (attempt.row !== undefined) {
        job.checkpoint?.attemptCancelled(attempt.row, at, outcome);
      }
      if (bus.observed) bus.emit(attemptEndedEvent(job, record, attempt, stopping ? INTERRUPTED : UNJUDGED, 0, at));
      // Its sheet was cancelled or the conductor is stopping: it says nothing of the instrument.
      gates.ended(attempt, { health: 'none', spec: undefined, at });
    }
    sheets.checkJob(job);
  }

  /** An attempt ended: count its cost, tell the gates, let the sheet decide, and stop a job past its budget. */
  private settle(job: Job, record: SheetRecord, attempt: LiveAttempt, outcome: AttemptOutcome): void {
    const { bus, clock, gates, sheets } = this.host;
    const now = clock.now();
    const settled = judgeAttempt(job, record, attempt, outcome, now, this.host.random());
    const event = settled.event;
    const verdict: AttemptVerdict = {
      health: settled.health,
      spec: job.score.instruments[attempt.instrument],
      at: now,
      ...(event.type === 'RATE_LIMITED' ? { rateLimitWaitMs: event.waitMs } : {}),
    };
    const heldUntil = gates.ended(attempt, verdict);
    // A rate-limited sheet waits as long as its instrument's limit holds, which may be longer than its own wait.
    if (event.type === 'RATE_LIMITED' && heldUntil !== undefined) settled.event = { ...event, waitMs: Math.max(0, heldUntil - now) };
    job.attemptJudged(record, settled.outcome, settled.costUsd, settled.event.type === 'SUCCEEDED' ? settled.event.passRate : undefined);
    if (bus.observed) bus.emit(attemptEndedEvent(job, record, attempt, judgement(settled.event), settled.costUsd, now));
    sheets.send(job, record, settled.event);
    if (attempt.row !== undefined) {
      job.checkpoint?.attemptFinished(attempt.row, settled.outcome, record, now, settled.costUsd, settled.event.type === 'RATE_LIMITED');
    }
    if (job.budgetSpent) this.host.budgetSpent(job);
  }
}
