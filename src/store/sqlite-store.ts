import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  CheckpointClosedError,
  CheckpointCorruptError,
  CheckpointError,
  CheckpointLockedError,
  CheckpointNeedsMigrationError,
  CheckpointNotFoundError,
  CheckpointReadOnlyError,
  CheckpointTooNewError,
  ForeignCheckpointError,
} from './errors.js';
import { decideLock } from './lock.js';
import {
  fromAttemptRecord,
  fromJobRecord,
  fromSheetRecord,
  readStatements,
  toAttemptRecord,
  toJobRecord,
  toSheetRecord,
  writeStatements,
} from './sqlite-rows.js';
import { fromSheetEventRecord, sheetEventStatements, toSheetEventRecord } from './sqlite-sheet-events.js';
import {
  BATON_APPLICATION_ID,
  CHECKPOINT_TABLES,
  LATEST_SCHEMA_VERSION,
  migrate,
  schemaVersion,
} from './migrations.js';
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
import { errorMessage } from '../util/error-message.js';

/** The checkpoint's file name inside a workspace. */
const CHECKPOINT_FILE_NAME = 'baton.db';

/** `<workspace>/baton.db` */
export function checkpointPath(workspace: string): string {
  return join(workspace, CHECKPOINT_FILE_NAME);
}

export interface SqliteStoreOptions {
  /** Create the file when it does not exist (`baton run`). Default true; false for resume and status. */
  create?: boolean;
  /**
   * Read only, never migrate nor write: `baton status` while another process runs the job
   * (WAL lets a reader in beside the writer) or after it died.
   */
  readonly?: boolean;
  /** How long to wait for another connection's write lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /** Wall clock for the lock's `acquiredAt`. Default `Date.now`. */
  now?: () => number;
}

type SqliteError = InstanceType<typeof Database.SqliteError>;

/** SQLite result codes that mean the bytes are not a sound database. */
function isCorruption(error: unknown): error is SqliteError {
  return (
    error instanceof Database.SqliteError &&
    (error.code === 'SQLITE_NOTADB' || error.code.startsWith('SQLITE_CORRUPT'))
  );
}

/** `quick_check`'s report (one line per problem, possibly hundreds) as one short phrase. */
function summariseCheck(report: string): string {
  const problems = report.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('***'));
  const first = problems[0] ?? report;
  return problems.length > 1 ? `integrity check: ${first}, and ${problems.length - 1} more problems` : `integrity check: ${first}`;
}


/**
 * Turns what SQLite or the file system threw into a `CheckpointError` that names the file
 * and says what to do. Our own errors pass through; so does anything that is not an I/O
 * problem (a bug should keep its stack).
 */
function translate(error: unknown, path: string, doing: string): unknown {
  if (error instanceof CheckpointError) return error;
  if (isCorruption(error)) return new CheckpointCorruptError(path, error.message, { cause: error });
  if (error instanceof Database.SqliteError) {
    return new CheckpointError(
      path,
      `cannot ${doing} ${path} (${error.message}); check that the disk is not full and that the file and its folder are writable`,
      { cause: error },
    );
  }
  return error;
}

/** What a file holds before we touch it. */
interface FileFacts {
  applicationId: number;
  version: number;
  tables: string[];
}

function inspect(db: Database.Database): FileFacts {
  return {
    applicationId: db.pragma('application_id', { simple: true }) as number,
    version: schemaVersion(db),
    tables: db
      .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all(),
  };
}

/**
 * The default checkpoint store: one SQLite file per job (`<workspace>/baton.db`), in WAL
 * mode, written through better-sqlite3's synchronous API so the conductor can commit inside
 * its turn.
 */
export class SqliteStore implements CheckpointStore {
  /** The same as `new SqliteStore(path, options)`. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    return new SqliteStore(path, options);
  }

  /** Creates the file if asked to and it is missing, then opens a connection to it. */
  private static connect(path: string, readonly: boolean, create: boolean, busyTimeoutMs: number): Database.Database {
    if (!existsSync(path)) {
      if (!create) throw new CheckpointNotFoundError(path);
      try {
        // Created by us, empty, private: the checkpoint holds prompts, outputs and errors.
        // SQLite gives its -wal and -shm files the same mode as the database file.
        closeSync(openSync(path, 'wx', 0o600));
      } catch (error) {
        // Another process created it in between: open theirs.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new CheckpointError(
            path,
            `cannot create ${path} (${errorMessage(error)}); check that its folder exists and is writable`,
            { cause: error },
          );
        }
      }
    }

    try {
      return new Database(path, { readonly, fileMustExist: true, timeout: busyTimeoutMs });
    } catch (error) {
      if (isCorruption(error)) throw new CheckpointCorruptError(path, error.message, { cause: error });
      throw new CheckpointError(
        path,
        `cannot open ${path} (${errorMessage(error)}); check that it is a file you can read${readonly ? '' : ' and write'}`,
        { cause: error },
      );
    }
  }

  /** Checks what the file is, then makes it a checkpoint of the latest schema (unless read-only). */
  private static prepare(db: Database.Database, path: string, readonly: boolean): void {
    // The first read of the file: a text file fails here with SQLITE_NOTADB.
    const facts = inspect(db);
    // An empty database: a zero-byte file, or one left by a crash during creation (the
    // first migration sets the application id and creates the tables in one transaction).
    const fresh =
      facts.version === 0 &&
      facts.tables.length === 0 &&
      (facts.applicationId === 0 || facts.applicationId === BATON_APPLICATION_ID);

    if (fresh) {
      if (readonly) throw new CheckpointNotFoundError(path);
      // An empty file someone else made (or our own, already 0600): private before the
      // first byte is written. Best effort: a file we may not chmod is still usable.
      try {
        chmodSync(path, 0o600);
      } catch {
        // keep its mode
      }
    } else {
      if (facts.applicationId !== BATON_APPLICATION_ID) {
        const detail =
          facts.applicationId === 0
            ? `it has the tables ${facts.tables.join(', ')}`
            : `its application id is 0x${(facts.applicationId >>> 0).toString(16)}`;
        throw new ForeignCheckpointError(path, detail);
      }
      if (facts.version > LATEST_SCHEMA_VERSION) {
        throw new CheckpointTooNewError(path, facts.version, LATEST_SCHEMA_VERSION);
      }
      if (readonly && facts.version < LATEST_SCHEMA_VERSION) {
        throw new CheckpointNeedsMigrationError(path, facts.version, LATEST_SCHEMA_VERSION);
      }
    }

    if (!readonly) {
      if (!fresh) {
        // Finds damage now, at open, rather than halfway through a run.
        const check = db.pragma('quick_check', { simple: true });
        if (check !== 'ok') throw new CheckpointCorruptError(path, summariseCheck(String(check)));
      }
      // WAL: a commit appends to the log and readers (`baton status`) never block the
      // writer. With WAL, synchronous = NORMAL loses nothing when the *process* dies
      // (kill -9, OOM): a committed transaction is in the OS's hands once COMMIT returns.
      // Only a power loss or OS crash can lose the last transactions before the next
      // checkpoint of the log, and even then the file stays consistent: no fsync per
      // commit, which is what lets a turn's batch of thousands of rows commit in
      // milliseconds. The mode is stored in the file; readers inherit it.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrate(db);
    }

    const present = new Set(inspect(db).tables);
    const missing = CHECKPOINT_TABLES.filter((t) => !present.has(t));
    if (missing.length > 0) {
      throw new ForeignCheckpointError(path, `the table${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing`);
    }
  }

  /** The file's path. */
  readonly location: string;
  readonly readonly: boolean;
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly read: ReturnType<typeof readStatements>;
  private readonly write: ReturnType<typeof writeStatements> | undefined;
  private readonly events: ReturnType<typeof sheetEventStatements>;
  private readonly commitTx: ((batch: CheckpointBatch) => void) & { immediate(batch: CheckpointBatch): void };
  /** The owner this store took the lock for; `releaseLock` removes only that. */
  private owner: LockOwner | undefined = undefined;

  /**
   * Opens (or creates) the checkpoint file at `path`. Refuses, with a `CheckpointError`
   * naming the file, anything it should not touch: a missing file when `create` is false, a
   * file that is not SQLite or is damaged, another program's database, a newer schema.
   */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    // Called from JavaScript, a missing path would otherwise surface as a puzzling fs error.
    if (typeof path !== 'string' || path === '') {
      throw new TypeError(`SqliteStore: the checkpoint file's path must be a non-empty string, got ${path === '' ? 'an empty string' : typeof path}`);
    }
    const readonly = options.readonly ?? false;
    const db = SqliteStore.connect(path, readonly, (options.create ?? true) && !readonly, options.busyTimeoutMs ?? 5000);
    try {
      SqliteStore.prepare(db, path, readonly);
      this.db = db;
      this.location = path;
      this.readonly = readonly;
      this.now = options.now ?? Date.now;
      this.read = readStatements(db);
      this.write = readonly ? undefined : writeStatements(db);
      this.events = sheetEventStatements(db, !readonly);
      const write = this.write;
      const append = this.events.append;
      this.commitTx = db.transaction((batch: CheckpointBatch) => {
        if (write === undefined) return;
        if (batch.job !== undefined) write.job.run(toJobRecord(batch.job));
        for (const sheet of batch.sheets) write.sheet.run(toSheetRecord(sheet));
        for (const attempt of batch.attempts) write.attempt.run(toAttemptRecord(attempt));
        for (const event of batch.events ?? []) append?.run(toSheetEventRecord(event));
        for (const id of batch.removedSheets ?? []) for (const remove of write.removeSheet) remove.run(id);
      });
    } catch (error) {
      db.close();
      throw translate(error, path, 'open');
    }
  }

  /** The schema version of the open file. */
  get schemaVersion(): number {
    return this.guard(() => schemaVersion(this.db));
  }

  acquireLock(owner: LockOwner): void {
    const write = this.writable('take the lock');
    this.guard(
      () =>
        this.db
          .transaction(() => {
            const holder = this.readLock();
            const decision = decideLock(holder, owner);
            if (!decision.take) {
              throw new CheckpointLockedError(this.location, holder!, {
                jobName: this.read.jobName.get(),
                otherHost: decision.otherHost,
              });
            }
            write.setLock.run({ pid: owner.pid, host: owner.host, acquired_at: this.now(), pid_start: owner.pidStart ?? null });
          })
          // BEGIN IMMEDIATE: the check and the take happen under the write lock, so two
          // processes racing for the lock cannot both win.
          .immediate(),
      'lock',
    );
    this.owner = { pid: owner.pid, host: owner.host };
  }

  releaseLock(): void {
    const owner = this.owner;
    if (owner === undefined || this.write === undefined) return;
    this.guard(() => this.write!.releaseLock.run(owner), 'unlock');
    this.owner = undefined;
  }

  /** Removes the lock whoever holds it: for a holder on another host known to be gone. */
  breakLock(): void {
    const write = this.writable('break the lock');
    this.guard(() => write.breakLock.run(), 'unlock');
    this.owner = undefined;
  }

  lockHolder(): LockInfo | undefined {
    return this.guard(() => this.readLock(), 'read');
  }

  /** One transaction for the whole batch: one WAL append, no fsync (see `open`). */
  commit(batch: CheckpointBatch): void {
    this.writable('write a checkpoint');
    if (batch.job === undefined && batch.sheets.length === 0 && batch.attempts.length === 0 && !batch.events?.length && !batch.removedSheets?.length) return;
    this.guard(() => this.commitTx.immediate(batch), 'write');
  }

  loadJob(): JobRow | undefined {
    return this.guard(() => {
      const record = this.read.job.get();
      return record === undefined ? undefined : fromJobRecord(record);
    }, 'read');
  }

  loadSheets(): SheetRow[] {
    return this.guard(() => this.read.sheets.all().map(fromSheetRecord), 'read');
  }

  loadAttempts(sheetId?: string): AttemptRow[] {
    return this.guard(() => {
      const records = sheetId === undefined ? this.read.attempts.all() : this.read.attemptsOf.all(sheetId);
      return records.map(fromAttemptRecord);
    }, 'read');
  }

  /** Every sheet event, in the order written. */
  loadSheetEvents(): SheetEventRow[] {
    return this.guard(() => this.events.all.all().map(fromSheetEventRecord), 'read');
  }

  /** Everything, read in one transaction: one snapshot even while another process commits. */
  loadAll(options: { events?: boolean } = {}): CheckpointContents {
    return this.guard(
      () =>
        this.db.transaction(() => ({
          job: this.loadJob(),
          sheets: this.loadSheets(),
          attempts: this.loadAttempts(),
          lock: this.readLock(),
          ...(options.events ? { events: this.loadSheetEvents() } : {}),
        }))(),
      'read',
    );
  }

  /**
   * Closes the connection (idempotent). Releases nothing: call `releaseLock` first. A
   * writer first copies the WAL into the file, so a closed checkpoint is the one file
   * `baton.db`, whole (SQLite deletes `-wal` and `-shm` as the last connection closes).
   */
  close(): void {
    if (!this.db.open) return;
    if (!this.readonly) {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // A reader holding the log open: SQLite copies it on the last close instead.
      }
    }
    this.db.close();
  }

  private readLock(): LockInfo | undefined {
    const record = this.read.lock.get();
    return record === undefined
      ? undefined
      : { pid: record.pid, host: record.host, acquiredAt: record.acquired_at, pidStart: record.pid_start };
  }

  private writable(what: string): NonNullable<SqliteStore['write']> {
    if (!this.db.open) throw new CheckpointClosedError(this.location);
    if (this.write === undefined) throw new CheckpointReadOnlyError(this.location, what);
    return this.write;
  }

  private guard<T>(run: () => T, doing = 'read'): T {
    if (!this.db.open) throw new CheckpointClosedError(this.location);
    try {
      return run();
    } catch (error) {
      throw translate(error, this.location, doing);
    }
  }
}

/** Opens a checkpoint file: `SqliteStore.open`. */
export function openCheckpoint(path: string, options?: SqliteStoreOptions): SqliteStore {
  return SqliteStore.open(path, options);
}
