import type { Subscription } from 'rxjs';
import type { Actor } from 'xstate';
import type { AttemptAbort } from '../../actors/attempt-abort.js';
import type { Instrument } from '../../actors/instruments/instrument.js';
import type { sheetMachine } from '../../machines/sheet.js';
import { SHEET_STATES, type FailureReason, type SheetState } from '../../machines/types.js';
import type { StateCounts } from '../events.js';
import { modelKey, type JobRunState, type JobView, type ReadyQueueView } from '../dispatch/plan-dispatch.js';
import type { Checkpointer } from '../durability/checkpoint.js';
import type { Score, StageSpec } from '../../score/types.js';
import type { AttemptRow } from '../../store/types.js';

export type SheetActor = Actor<typeof sheetMachine>;

/** One attempt in flight: the musician's handle, owned by the conductor. */
export interface LiveAttempt {
  readonly abort: AttemptAbort;
  readonly instrument: string;
  readonly model: string | undefined;
  /** The attempt number its `sheet.dispatched` event announced. */
  readonly number: number;
  /** Conductor clock (ms) of the dispatch decision. */
  readonly dispatchedAt: number;
  timeout: Subscription | undefined;
  /** Why the conductor aborted it, if it did. */
  abortReason: 'timeout' | 'cancelled' | 'shutdown' | undefined;
  /** Its checkpoint row, when the job has a store. */
  row: AttemptRow | undefined;
  /** The one attempt a half-open circuit let through: only its verdict may close or reopen it. */
  probe?: boolean;
}

/**
 * A sheet as the conductor keeps it. Sheets that are active (ready … fermata) have a live
 * actor and `state` mirrors its snapshot; pending and terminal sheets are just this record,
 * which keeps a 100,000-sheet job from holding 100,000 idle actors.
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
}

/** Dependency bookkeeping for one entry of `sheets:` (all its fan-out members share it). */
export class StageRuntime {
  /** Dependency refs not yet satisfied; the members are released when it reaches 0. */
  unmet: number;
  /** Members completed (or skipped by decision). */
  satisfied = 0;
  /** A dependency ended unsatisfied: every member is (or will be) skipped or failed. */
  doomed = false;
  /** Stages that depend on every member of this one. */
  readonly dependents: StageRuntime[] = [];
  /** Stages that depend on one member of this one, by member number. */
  memberDependents: Map<number, StageRuntime[]> | undefined = undefined;

  constructor(
    readonly spec: StageSpec,
    readonly first: number,
    readonly size: number,
  ) {
    this.unmet = spec.dependsOn.length;
  }

  dependentsOfMember(member: number): readonly StageRuntime[] {
    return this.memberDependents?.get(member) ?? [];
  }
}

/** Ready sheets of one job for one (instrument, model). */
export class ReadyQueue implements ReadyQueueView {
  readonly sheets = new Set<number>();
  constructor(
    readonly instrument: string,
    readonly model: string | undefined,
  ) {}
}

/**
 * Members of released stages that wait for room in one ready queue. Ready sheets are live
 * actors; a stage of 100,000 independent sheets would otherwise create 100,000 actors at
 * once. The backlog admits them in release order as the queue drains (see `readyWindow`).
 */
export class Backlog {
  readonly entries: Array<{ stage: StageRuntime; next: number }> = [];
  head = 0;
  constructor(
    readonly instrument: string,
    readonly model: string | undefined,
  ) {}
}

/**
 * How a job settled: ended (`completed`, `failed`, `cancelled`), or stopped with work left —
 * `held` by fermatas, `paused` by its budget, `interrupted` by a shutdown.
 */
export type JobOutcome = 'completed' | 'failed' | 'cancelled' | 'held' | 'paused' | 'interrupted';

export class Job implements JobView {
  state: JobRunState = 'running';
  readonly pauseReasons = new Set<string>();
  readonly sheets: SheetRecord[] = [];
  readonly stages: StageRuntime[] = [];
  readonly byId = new Map<string, SheetRecord>();
  readonly counts: StateCounts = Object.fromEntries(SHEET_STATES.map((s) => [s, 0])) as StateCounts;
  inFlight = 0;
  /** Sheets skipped by a fermata decision: they count as done for the job's success. */
  decisionSkips = 0;
  readonly readyQueues = new Map<string, ReadyQueue>();
  /** Released sheets still `pending` until their ready queue has room, by queue key. */
  readonly backlog = new Map<string, Backlog>();
  readonly instrumentCaps = new Map<string, number>();
  readonly modelCaps = new Map<string, number>();
  readonly startedAt: number;
  endedAt: number | undefined = undefined;
  outcome: JobOutcome | undefined = undefined;
  /** Writes this job's changes to its store, when it has one. */
  checkpoint: Checkpointer | undefined = undefined;
  /** Set when the checkpoint could not be written: the job stops acting until resumed. */
  checkpointError: string | undefined = undefined;
  /** Resolvers of `waitForCompletion` calls, settled when the job ends or is held. */
  waiters: Array<(outcome: JobOutcome) => void> = [];

  constructor(
    readonly jobId: string,
    readonly score: Score,
    readonly instruments: ReadonlyMap<string, Instrument>,
    now: number,
  ) {
    this.startedAt = now;
    this.budgetUsd = score.budgetUsd;
    for (const [name, spec] of Object.entries(score.instruments)) {
      if (spec.concurrency !== undefined) this.instrumentCaps.set(name, spec.concurrency);
      for (const [model, modelSpec] of Object.entries(spec.models)) {
        if (modelSpec.concurrency !== undefined) {
          this.modelCaps.set(modelKey(name, model), modelSpec.concurrency);
        }
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

  /** Sheets in `waiting`, to lift them when their instrument's rate limit ends. */
  readonly waiting = new Set<SheetRecord>();
  /** What every attempt of this job cost so far. */
  spentUsd = 0;
  /** The job's budget; starts as the score's `budget_usd`, may be raised while it runs. */
  budgetUsd: number | undefined;
  /** Last time a sheet of this job was dispatched (for pacing). */
  lastDispatchAt: number | undefined = undefined;
  /** Wakes the conductor when the pacing gap has passed and sheets are waiting for it. */
  pacingTimer: Subscription | undefined = undefined;

  get queues(): Iterable<ReadyQueueView> {
    return this.readyQueues.values();
  }

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

  queueFor(instrument: string, model: string | undefined): ReadyQueue {
    const key = modelKey(instrument, model);
    let queue = this.readyQueues.get(key);
    if (queue === undefined) {
      queue = new ReadyQueue(instrument, model);
      this.readyQueues.set(key, queue);
    }
    return queue;
  }

  /** Moves the count of one sheet from one state to another. */
  recount(from: SheetState, to: SheetState): void {
    this.counts[from]--;
    this.counts[to]++;
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
