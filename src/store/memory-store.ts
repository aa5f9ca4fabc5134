import { CheckpointLockedError } from './errors.js';
import { normaliseOutput } from './json.js';
import { decideLock } from './lock.js';
import type {
  AttemptRow,
  CheckpointBatch,
  CheckpointContents,
  CheckpointStore,
  JobRow,
  LockInfo,
  LockOwner,
  SheetEventRow,
  SheetRow,
} from './types.js';

export interface MemoryStoreOptions {
  /** Wall clock for the lock's `acquiredAt`. Default `Date.now`. */
  now?: () => number;
  /** Share this store's contents (see `connect`). */
  shared?: MemoryStore;
}

/** The contents, shared by every handle from one `new MemoryStore()`. */
class MemoryData {
  job: JobRow | undefined = undefined;
  /** Map order is the order sheets were first written, as rowid order is in SQLite. */
  readonly sheets = new Map<string, SheetRow>();
  readonly attempts = new Map<string, Map<number, AttemptRow>>();
  readonly events: SheetEventRow[] = [];
  lock: LockInfo | undefined = undefined;
}

/**
 * A checkpoint kept in memory, for tests and for embedding without a file. Rows are deep
 * copies both ways, so neither side can change the other's; `output` reads back exactly as
 * through the SQLite store (JSON, anything else null). The lock behaves like the SQLite
 * store's; `connect()` gives a second handle on the same contents, as a second process
 * would have. The contents outlive `close()`, so a test can "restart" a conductor on the
 * same store.
 */
export class MemoryStore implements CheckpointStore {
  readonly location = 'memory';
  private readonly data: MemoryData;
  /** The owner this handle took the lock for; `releaseLock` removes only that. */
  private owner: LockOwner | undefined = undefined;
  private readonly now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.data = options.shared?.data ?? new MemoryData();
  }

  /**
   * Another handle on the same contents, as a second process opening the same file would
   * have: it sees every commit, and owns the lock only if it took it itself.
   */
  connect(): MemoryStore {
    return new MemoryStore({ now: this.now, shared: this });
  }

  acquireLock(owner: LockOwner): void {
    const decision = decideLock(this.data.lock, owner);
    if (!decision.take) {
      throw new CheckpointLockedError(this.location, { ...this.data.lock! }, {
        jobName: this.data.job?.name,
        otherHost: decision.otherHost,
      });
    }
    this.data.lock = { pid: owner.pid, host: owner.host, acquiredAt: this.now(), pidStart: owner.pidStart ?? null };
    this.owner = { pid: owner.pid, host: owner.host };
  }

  releaseLock(): void {
    const owner = this.owner;
    if (owner === undefined) return;
    if (this.data.lock?.pid === owner.pid && this.data.lock.host === owner.host) this.data.lock = undefined;
    this.owner = undefined;
  }

  breakLock(): void {
    this.data.lock = undefined;
    this.owner = undefined;
  }

  lockHolder(): LockInfo | undefined {
    return this.data.lock === undefined ? undefined : { ...this.data.lock };
  }

  /** All or nothing, like a transaction: every row is copied before any is stored. */
  commit(batch: CheckpointBatch): void {
    const job = batch.job === undefined ? undefined : structuredClone(batch.job);
    const sheets = batch.sheets.map((sheet) =>
      structuredClone({ ...sheet, output: normaliseOutput(sheet.output) }),
    );
    const attempts = batch.attempts.map((attempt) =>
      structuredClone({ ...attempt, pid: attempt.pid ?? null, pidStart: attempt.pidStart ?? null }),
    );
    const events = structuredClone(batch.events ?? []);
    if (job !== undefined) this.data.job = job;
    for (const sheet of sheets) this.data.sheets.set(sheet.id, sheet);
    for (const attempt of attempts) {
      let ofSheet = this.data.attempts.get(attempt.sheetId);
      if (ofSheet === undefined) this.data.attempts.set(attempt.sheetId, (ofSheet = new Map()));
      ofSheet.set(attempt.number, attempt);
    }
    for (const event of events) this.data.events.push(event);
    const removed = new Set(batch.removedSheets ?? []);
    if (removed.size === 0) return;
    for (const id of removed) {
      this.data.sheets.delete(id);
      this.data.attempts.delete(id);
    }
    this.data.events.splice(0, this.data.events.length, ...this.data.events.filter((event) => !removed.has(event.sheetId)));
  }

  loadJob(): JobRow | undefined {
    return this.data.job === undefined ? undefined : structuredClone(this.data.job);
  }

  loadSheets(): SheetRow[] {
    return structuredClone([...this.data.sheets.values()]);
  }

  loadAttempts(sheetId?: string): AttemptRow[] {
    const byNumber = (a: AttemptRow, b: AttemptRow) => a.number - b.number;
    if (sheetId !== undefined) return structuredClone([...(this.data.attempts.get(sheetId)?.values() ?? [])].sort(byNumber));
    // Sheets in the order they were written; attempts of unknown sheets first, by id
    // (SQLite sorts the missing rowid, NULL, first).
    const rank = new Map<string, number>();
    let i = 0;
    for (const id of this.data.sheets.keys()) rank.set(id, i++);
    const ids = [...this.data.attempts.keys()].sort((a, b) => {
      const byRank = (rank.get(a) ?? -1) - (rank.get(b) ?? -1);
      return byRank !== 0 ? byRank : a < b ? -1 : a > b ? 1 : 0;
    });
    return structuredClone(ids.flatMap((id) => [...this.data.attempts.get(id)!.values()].sort(byNumber)));
  }

  /** Every sheet event, in the order written. */
  loadSheetEvents(): SheetEventRow[] {
    return structuredClone(this.data.events);
  }

  loadAll(options: { events?: boolean } = {}): CheckpointContents {
    return {
      job: this.loadJob(),
      sheets: this.loadSheets(),
      attempts: this.loadAttempts(),
      lock: this.lockHolder(),
      ...(options.events ? { events: this.loadSheetEvents() } : {}),
    };
  }

  /** Nothing to release; the contents stay readable (see the class comment). */
  close(): void {}
}
