import type { Subscription } from 'rxjs';
import type { AttemptOutcome } from '../../actors/instruments/instrument.js';
import type { SheetActor } from '../../actors/sheet-actor.js';
import type { SheetContext } from '../../machines/sheet.js';
import type { FailureReason, SheetState } from '../../machines/types.js';
import type { SheetRow } from '../../store/types.js';
import type { LiveAttempt } from './live-attempt.js';
import type { StageRuntime } from './stage.js';

/**
 * A sheet as the conductor keeps it. Sheets that are active (ready … fermata) have a live
 * actor and `state` mirrors its snapshot; pending and terminal sheets are just this record,
 * which keeps a 100,000-sheet job from holding 100,000 idle actors. Its state and counts
 * change through its `Job`, which keeps the job's counts and queues in step.
 */
export class SheetRecord {
  state: SheetState = 'pending';
  /** The state the checkpoint last holds for it: a change appends a sheet event. */
  storedState: SheetState = 'pending';
  actor: SheetActor | undefined = undefined;
  attempt: LiveAttempt | undefined = undefined;
  /** Retry or rate-limit timer. */
  timer: Subscription | undefined = undefined;
  /** Values kept once the actor is gone. */
  attempts = 0;
  dispatches = 0;
  /** Dispatches that ended rate-limited: they used none of the sheet's attempts. */
  rateLimited = 0;
  /** Dispatches cut short by a stop or a crash of the conductor: they used none of its attempts either. */
  interrupted = 0;
  instrumentIndex = 0;
  lastError: string | null = null;
  reason: FailureReason | null = null;
  skippedByDecision = false;
  firstDispatchAt: number | undefined = undefined;
  endedAt: number | undefined = undefined;
  costUsd = 0;
  /** Share of validations passed by the last successful attempt. */
  passRate = 1;
  /** Validations the last attempt failed; a completion attempt is told about them. */
  failedValidations: string[] = [];
  /** What dependents see of this sheet once it completed. */
  outputFile: string | undefined = undefined;
  output: unknown = undefined;

  constructor(
    readonly id: string,
    readonly index: number,
    readonly stage: StageRuntime,
    /** 1-based member number within a fan-out; 1 for a single sheet. */
    readonly member: number,
  ) {}

  /** Takes over what the sheet's machine decided, so that it outlives the actor. */
  mirror(context: SheetContext): void {
    this.attempts = context.attempts;
    this.dispatches = context.dispatches;
    this.rateLimited = context.rateLimited;
    this.lastError = context.lastError;
    this.reason = context.reason;
    this.instrumentIndex = context.instrumentIndex;
  }

  /** A judged attempt ended: what it cost, and what it leaves for its dependents and its next attempt. */
  attemptJudged(outcome: AttemptOutcome, costUsd: number, passRate: number | undefined): void {
    if (outcome.validation) this.failedValidations = outcome.validation.failed;
    this.costUsd += costUsd;
    if (outcome.status === 'success') {
      this.outputFile = outcome.stdoutFile;
      this.output = outcome.output;
    }
    if (passRate !== undefined) this.passRate = passRate;
  }

  /** A retry or rate-limit timer, replacing any earlier one. */
  setTimer(timer: Subscription): void {
    this.timer?.unsubscribe();
    this.timer = timer;
  }

  clearTimer(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  /** It reached a terminal state at `at`: its actor and timer are gone, only the record stays. */
  ended(at: number): void {
    this.actor = undefined;
    this.clearTimer();
    this.endedAt = at;
  }

  /** A pending sheet ended because a dependency did not complete (`failed` or `skipped`). */
  endedByDependency(failed: boolean): void {
    this.reason = 'dependency';
    if (failed) this.lastError = 'a dependency did not complete';
  }

  /** Runs that used the sheet's attempts: every dispatch but the rate-limited and interrupted ones (the running one included). */
  get attemptsRun(): number {
    return this.dispatches - this.rateLimited - this.interrupted;
  }

  /** Takes what a checkpoint row knows (its state is set through the job, which counts states). */
  restore(row: SheetRow): void {
    this.dispatches = row.dispatches;
    this.rateLimited = row.rateLimited;
    this.interrupted = row.interrupted;
    this.attempts = row.attempts;
    this.lastError = row.lastError;
    this.reason = row.reason;
    this.skippedByDecision = row.skippedByDecision;
    this.costUsd = row.costUsd;
    this.firstDispatchAt = row.firstDispatchAt ?? undefined;
    this.endedAt = row.endedAt ?? undefined;
    this.outputFile = row.outputFile ?? undefined;
    this.output = row.output ?? undefined;
  }
}
