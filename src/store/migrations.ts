import type Database from 'better-sqlite3';

/**
 * `PRAGMA application_id` of every baton checkpoint: "Batn" in ASCII. Tells our files from
 * any other SQLite database (`file baton.db` reports it too).
 */
export const BATON_APPLICATION_ID = 0x4261746e;

/** The tables every checkpoint has, whatever its schema version: what tells one from another program's database. */
export const CHECKPOINT_TABLES = ['job', 'sheets', 'attempts', 'lock'] as const;

interface Migration {
  /** The `PRAGMA user_version` the file has once this migration ran. */
  version: number;
  description: string;
  up(db: Database.Database): void;
}

/**
 * The checkpoint schema, as an ordered list of steps. Never edit a released step: add a new
 * one. Each runs in its own transaction together with the `user_version` bump, so a crash
 * leaves the file at one version or the next, never in between.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'job, sheets, attempts and lock tables',
    up(db) {
      db.exec(`
        -- The job this checkpoint belongs to: one row.
        CREATE TABLE job (
          id            INTEGER PRIMARY KEY CHECK (id = 1),
          job_id        TEXT    NOT NULL,
          name          TEXT    NOT NULL,
          fingerprint   TEXT    NOT NULL, -- JSON (JobFingerprint)
          state         TEXT    NOT NULL,
          pause_reasons TEXT    NOT NULL, -- JSON array of strings
          budget_usd    REAL,
          outcome       TEXT,
          created_at    INTEGER NOT NULL,
          updated_at    INTEGER NOT NULL
        );

        -- One row per sheet; rowid order is the order sheets were first written.
        CREATE TABLE sheets (
          id                  TEXT    NOT NULL PRIMARY KEY,
          state               TEXT    NOT NULL,
          dispatches          INTEGER NOT NULL,
          attempts            INTEGER NOT NULL,
          instrument_index    INTEGER NOT NULL,
          last_error          TEXT,
          reason              TEXT,
          skipped_by_decision INTEGER NOT NULL, -- 0 or 1
          cost_usd            REAL    NOT NULL,
          first_dispatch_at   INTEGER,
          ended_at            INTEGER,
          output_file         TEXT,
          output              TEXT,             -- JSON, NULL for none
          context             TEXT,             -- JSON (SheetContext), NULL when pending or terminal
          updated_at          INTEGER NOT NULL
        );

        -- Every attempt of every sheet.
        CREATE TABLE attempts (
          sheet_id    TEXT    NOT NULL,
          number      INTEGER NOT NULL,
          mode        TEXT    NOT NULL,
          instrument  TEXT    NOT NULL,
          model       TEXT,
          started_at  INTEGER NOT NULL,
          ended_at    INTEGER,
          status      TEXT    NOT NULL,
          exit_code   INTEGER,
          signal      TEXT,
          error       TEXT,
          reason      TEXT,
          cost_usd    REAL,
          stdout_file TEXT,
          stderr_file TEXT,
          PRIMARY KEY (sheet_id, number)
        );

        -- Who runs the job: at most one row.
        CREATE TABLE lock (
          id          INTEGER PRIMARY KEY CHECK (id = 1),
          pid         INTEGER NOT NULL,
          host        TEXT    NOT NULL,
          acquired_at INTEGER NOT NULL
        );
      `);
    },
  },
  {
    version: 2,
    description: 'process id and start time of command attempts',
    up(db) {
      db.exec(`
        ALTER TABLE attempts ADD COLUMN pid INTEGER;
        ALTER TABLE attempts ADD COLUMN pid_start TEXT;
      `);
    },
  },
  {
    version: 3,
    description: 'start time of the process holding the lock',
    up(db) {
      db.exec('ALTER TABLE lock ADD COLUMN pid_start TEXT;');
    },
  },
  {
    version: 4,
    description: "rate limits and circuit breakers of the job's instruments; validation results of attempts",
    up(db) {
      db.exec(`
        ALTER TABLE job ADD COLUMN policies TEXT;        -- JSON (PolicyState), NULL for none
        ALTER TABLE attempts ADD COLUMN validation TEXT; -- JSON (the attempt's validation report)
      `);
    },
  },
  {
    version: 5,
    description: 'sheet events: every state a sheet entered, and when',
    up(db) {
      // Append-only and unindexed: one cheap insert per state change; read whole, in order.
      db.exec(`
        CREATE TABLE sheet_events (
          seq      INTEGER PRIMARY KEY,
          sheet_id TEXT    NOT NULL,
          at       INTEGER NOT NULL,
          state    TEXT    NOT NULL,
          until    INTEGER,          -- deadline of a retry or waiting state
          detail   TEXT
        );
      `);
    },
  },
  {
    version: 6,
    description: 'rate-limited runs of each sheet, counted apart from its attempts',
    up(db) {
      // Older files recorded every rate-limited run as an attempt row: count them from there.
      db.exec(`
        ALTER TABLE sheets ADD COLUMN rate_limited INTEGER NOT NULL DEFAULT 0;
        UPDATE sheets SET rate_limited =
          (SELECT count(*) FROM attempts WHERE attempts.sheet_id = sheets.id AND attempts.status = 'rate_limited');
      `);
    },
  },
  {
    version: 7,
    description: 'attempts cut short by a stop or a crash: status interrupted, counted per sheet apart from its attempts',
    up(db) {
      // Older files recorded such an attempt, on the resume, as a crashed failure with this
      // exact error: they become interrupted, and are counted from there.
      db.exec(`
        UPDATE attempts SET status = 'interrupted', reason = NULL
          WHERE status = 'failure' AND reason = 'crashed'
            AND error = 'interrupted: the conductor stopped before the attempt ended';
        ALTER TABLE sheets ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
        UPDATE sheets SET interrupted =
          (SELECT count(*) FROM attempts WHERE attempts.sheet_id = sheets.id AND attempts.status = 'interrupted');
      `);
    },
  },
];

export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Runs the migrations the file lacks, up to `to` (the latest by default), one transaction
 * each. `BEGIN IMMEDIATE` and a re-read of the version inside it make two processes
 * opening the same file at once safe: the second finds the work done. Returns the version
 * the file ends at.
 */
export function migrate(db: Database.Database, to: number = LATEST_SCHEMA_VERSION): number {
  for (const migration of MIGRATIONS) {
    if (migration.version > to) break;
    db.transaction(() => {
      if (schemaVersion(db) >= migration.version) return;
      migration.up(db);
      // Both pragmas write the file header, inside this transaction.
      db.pragma(`application_id = ${BATON_APPLICATION_ID}`);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return schemaVersion(db);
}
