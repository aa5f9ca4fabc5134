import type { Subscription } from 'rxjs';
import type { AttemptOutcome, Instrument } from '../../actors/instruments/instrument.js';
import { modelKey } from '../../machines/model-key.js';
import { SHEET_STATES, type JobOutcome, type JobRunState, type SheetState } from '../../machines/types.js';
import type { Score } from '../../score/types.js';
import type { StateCounts } from '../events.js';
import type { JobCheckpoint } from './job-checkpoint.js';
import type { LiveAttempt } from './live-attempt.js';
import { Backlog, ReadyQueue } from './ready-queue.js';
import { SheetRecord } from './sheet-record.js';
import { StageRuntime } from './stage.js';

/**
 * One registered job: its sheets and stages, the counts of its sheets per state, its ready
 * queues and backlog, its spending and pauses. It owns this state: the conductor's parts
 * change it through these methods, which keep counts, queues and the checkpoint's marks in
 * step. It is also the planner's `JobView`.
 */
export class Job {
  state: JobRunState = 'running';
  readonly pauseReasons = new Set<string>();
  readonly sheets: SheetRecord[] = [];
  readonly stages: StageRuntime[] = [];
  readonly byId = new Map<string, SheetRecord>();
  readonly counts: StateCounts = Object.fromEntries(SHEET_STATES.map((s) => [s, 0])) as StateCounts;
  /** This job's sheets that are dispatched or running (their slots are held). */
  inFlight = 0;
  /** Sheets skipped by a fermata decision: they count as done for the job's success. */
  decisionSkips = 0;
  /** Ready sheets by `modelKey` of their current instrument. */
  readonly readyQueues = new Map<string, ReadyQueue>();
  /** Released sheets still `pending` until their ready queue has room, by queue key. */
  readonly backlog = new Map<string, Backlog>();
  /** Sheets in `waiting`, to lift them when their instrument's rate limit ends. */
  readonly waiting = new Set<SheetRecord>();
  readonly instrumentCaps = new Map<string, number>();
  readonly modelCaps = new Map<string, number>();
  /** The instruments its score names (what its checkpoint records of the gates). */
  readonly instrumentNames: ReadonlySet<string>;
  readonly startedAt: number;
  endedAt: number | undefined = undefined;
  outcome: JobOutcome | undefined = undefined;
  /** Its checkpoint, when it has a store. */
  checkpoint: JobCheckpoint | undefined = undefined;
  /** Set when the checkpoint could not be written: the job stops acting until resumed. */
  checkpointError: string | undefined = undefined;
  /** What every attempt of this job cost so far. */
  spentUsd = 0;
  /** The job's budget; starts as the score's `budget_usd`, may be raised while it runs. */
  budgetUsd: number | undefined;
  /** Last time a sheet of this job was dispatched (for pacing). */
  lastDispatchAt: number | undefined = undefined;
  /** Wakes the conductor when the pacing gap has passed and sheets are waiting for it. */
  pacingTimer: Subscription | undefined = undefined;
  /** Resolvers of `waitForCompletion` calls, settled when the job ends or is held. */
  private waiters: Array<(outcome: JobOutcome) => void> = [];

  constructor(
    readonly jobId: string,
    readonly score: Score,
    readonly instruments: ReadonlyMap<string, Instrument>,
    now: number,
  ) {
    this.startedAt = now;
    this.budgetUsd = score.budgetUsd;
    this.instrumentNames = new Set(Object.keys(score.instruments));
    for (const [name, spec] of Object.entries(score.instruments)) {
      if (spec.concurrency !== undefined) this.instrumentCaps.set(name, spec.concurrency);
      for (const [model, modelSpec] of Object.entries(spec.models)) {
        if (modelSpec.concurrency !== undefined) this.modelCaps.set(modelKey(name, model), modelSpec.concurrency);
      }
    }
    this.buildSheets();
  }

  get concurrency(): number {
    return this.score.concurrency;
  }

  get pacingMs(): number {
    return this.score.pacingMs;
  }

  get queues(): Iterable<ReadyQueue> {
    return this.readyQueues.values();
  }

  /** It has ended: every sheet is terminal, or it was cancelled. */
  get ended(): boolean {
    return this.state === 'cancelled' || this.state === 'completed' || this.state === 'failed';
  }

  // ── sheets ──────────────────────────────────────────────────────────────

  /** The instrument a sheet uses at its current place in the fallback chain. */
  instrumentOf(record: SheetRecord): { name: string; model: string | undefined } {
    return this.instrumentAt(record, record.instrumentIndex);
  }

  /** The instrument at position `index` of a sheet's fallback chain (0 is the primary). */
  instrumentAt(record: SheetRecord, index: number): { name: string; model: string | undefined } {
    const primary = record.stage.spec.instrument;
    if (index === 0) return { name: primary, model: record.stage.spec.model };
    const chain = this.score.instruments[primary]?.fallback ?? [];
    // The model belongs to the primary instrument; a fallback runs with its own default.
    return { name: chain[index - 1] ?? primary, model: undefined };
  }

  /** Moves a sheet to another state: the counts and the `waiting` set follow. */
  move(record: SheetRecord, to: SheetState): void {
    const from = record.state;
    if (from === to) return;
    this.counts[from]--;
    this.counts[to]++;
    record.state = to;
    if (from === 'waiting') this.waiting.delete(record);
    else if (to === 'waiting') this.waiting.add(record);
    this.checkpoint?.sheetChanged(record);
  }

  /** Puts a ready sheet in the queue of its current instrument. */
  enqueue(record: SheetRecord): void {
    const { name, model } = this.instrumentOf(record);
    const key = modelKey(name, model);
    let queue = this.readyQueues.get(key);
    if (queue === undefined) {
      queue = new ReadyQueue(name, model);
      this.readyQueues.set(key, queue);
    }
    queue.sheets.add(record.index);
  }

  /** Takes a sheet out of the ready queue of the instrument at `chainIndex` of its chain (its current one by default). */
  dequeue(record: SheetRecord, chainIndex = record.instrumentIndex): void {
    const { name, model } = this.instrumentAt(record, chainIndex);
    this.readyQueues.get(modelKey(name, model))?.sheets.delete(record.index);
  }

  /** How many sheets wait in the ready queue of (instrument, model). */
  readyCount(instrument: string, model: string | undefined): number {
    return this.readyQueues.get(modelKey(instrument, model))?.sheets.size ?? 0;
  }

  /** A sheet's state or fields changed: its checkpoint row must be written. */
  sheetChanged(record: SheetRecord): void {
    this.checkpoint?.sheetChanged(record);
  }

  /** A planned sheet was dispatched: it leaves its ready queue and holds a slot until its attempt is released. */
  dispatched(record: SheetRecord, attempt: LiveAttempt, now: number): void {
    this.dequeue(record);
    record.firstDispatchAt ??= now;
    record.attempt = attempt;
    this.lastDispatchAt = now;
    this.inFlight++;
  }

  /** The musician of an attempt has ended: its slot is free. */
  released(): void {
    this.inFlight--;
  }

  /** A judged attempt ended: its cost counts for the sheet and the job. */
  attemptJudged(record: SheetRecord, outcome: AttemptOutcome, costUsd: number, passRate: number | undefined): void {
    record.attemptJudged(outcome, costUsd, passRate);
    this.spentUsd += costUsd;
  }

  /** A sheet ended by a decision to skip it: it counts as done. */
  skippedByDecision(record: SheetRecord): void {
    record.skippedByDecision = true;
    this.decisionSkips++;
  }

  get terminalCount(): number {
    const c = this.counts;
    return c.completed + c.failed + c.skipped + c.cancelled;
  }

  /** Sheets that can still move without a decision or a dependency. */
  get activeCount(): number {
    const c = this.counts;
    return c.ready + c.dispatched + c.running + c.waiting + c.retry + c.completion;
  }

  /** The backlog of one ready queue, created on first use. */
  backlogOf(instrument: string, model: string | undefined): Backlog {
    const key = modelKey(instrument, model);
    let backlog = this.backlog.get(key);
    if (backlog === undefined) {
      backlog = new Backlog(instrument, model);
      this.backlog.set(key, backlog);
    }
    return backlog;
  }

  // ── the job ─────────────────────────────────────────────────────────────

  /** Adds a pause reason; true when the job stopped running because of it. */
  pause(reason: string): boolean {
    this.pauseReasons.add(reason);
    this.checkpoint?.jobChanged();
    if (this.state !== 'running') return false;
    this.state = 'paused';
    return true;
  }

  /** Lifts a pause reason; true when the job runs again (no reason left). */
  unpause(reason: string): boolean {
    this.pauseReasons.delete(reason);
    this.checkpoint?.jobChanged();
    if (this.state !== 'paused' || this.pauseReasons.size > 0) return false;
    this.state = 'running';
    return true;
  }

  /** A job that stopped held or paused may move again; true when it had. */
  reopen(): boolean {
    if (this.outcome !== 'paused' && this.outcome !== 'held') return false;
    this.outcome = undefined;
    return true;
  }

  setBudget(budgetUsd: number | undefined): void {
    this.budgetUsd = budgetUsd;
    this.checkpoint?.jobChanged();
  }

  /** It spent its budget (and is not already paused for it). */
  get budgetSpent(): boolean {
    return this.budgetUsd !== undefined && this.spentUsd >= this.budgetUsd && !this.pauseReasons.has('budget');
  }

  /** Stops everything: nothing is ready or backlogged any more. False when it had ended already. */
  cancel(): boolean {
    if (this.ended) return false;
    this.state = 'cancelled';
    this.checkpoint?.jobChanged();
    this.readyQueues.clear();
    this.backlog.clear();
    return true;
  }

  /** Its checkpoint could not be written: it pauses, and acts no more until resumed. */
  checkpointFailed(message: string): void {
    this.checkpointError = message;
    this.pauseReasons.add('checkpoint');
    this.state = 'paused';
  }

  /** Every sheet is terminal: the job ended so. */
  finish(state: 'completed' | 'failed' | 'cancelled', at: number): void {
    this.state = state;
    this.endedAt = at;
  }

  /** Calls `settled` with the job's outcome when it settles: at once when it has, else at the moment it does. */
  whenSettled(settled: (outcome: JobOutcome) => void): void {
    if (this.outcome !== undefined) settled(this.outcome);
    else this.waiters.push(settled);
  }

  /** It settled (ended, held or paused, or stopped by a shutdown): waiters hear how. */
  settle(outcome: JobOutcome): void {
    this.checkpoint?.jobChanged();
    this.outcome = outcome;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(outcome);
  }

  private buildSheets(): void {
    for (const spec of this.score.stages) {
      const size = spec.fanOut ?? 1;
      const stage = new StageRuntime(spec, this.sheets.length, size);
      this.stages.push(stage);
      for (let member = 1; member <= size; member++) {
        const id = spec.fanOut === undefined ? spec.id : `${spec.id}.${member}`;
        const record = new SheetRecord(id, this.sheets.length, stage, member);
        this.sheets.push(record);
        this.byId.set(id, record);
      }
    }
    this.counts.pending = this.sheets.length;
    for (const stage of this.stages) {
      for (const ref of stage.spec.dependsOn) {
        const target = this.stages[ref.stage];
        if (target === undefined) throw new Error(`stage ${stage.spec.id} depends on unknown stage ${ref.stage}`);
        if (ref.member === undefined) {
          target.dependents.push(stage);
        } else {
          target.memberDependents ??= new Map();
          const list = target.memberDependents.get(ref.member);
          if (list === undefined) target.memberDependents.set(ref.member, [stage]);
          else list.push(stage);
        }
      }
    }
  }
}
