import type Database from 'better-sqlite3';

/**
 * A coordination file that cannot be used: not SQLite, another program's database (a baton
 * checkpoint among them), written by a newer baton, closed, or failing to read or write. The
 * message names the file, so a CLI can print it alone.
 */
export class SqliteCoordinationError extends Error {
  override readonly name = 'SqliteCoordinationError';
  constructor(
    /** The coordination file. */
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What `meta.format` says in every coordination file: what tells ours from any other SQLite file. */
const FORMAT = 'baton-coordination';

/** The schema this code writes. A newer file is refused: its rows may mean something else. */
export const COORDINATION_SCHEMA_VERSION = 1;

const TABLES = ['meta', 'limits', 'breakers', 'slots'] as const;

/**
 * Times are absolute host-clock milliseconds (`Date.now()`). A limit's `model` is NULL for
 * the whole identity; the unique index cannot tell two NULLs apart, so writers look a limit
 * up with `model IS ?` inside their transaction.
 */
const CREATE = `
  CREATE TABLE meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE limits (
    identity TEXT    NOT NULL,
    model    TEXT,
    ends_at  INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX limits_key ON limits (identity, model);
  CREATE TABLE breakers (
    identity   TEXT    NOT NULL PRIMARY KEY,
    value      TEXT    NOT NULL,
    context    TEXT    NOT NULL, -- JSON (BreakerContext), openedAt and reopenAt absolute
    version    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE TABLE slots (
    identity   TEXT    NOT NULL,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (identity, holder)
  );
`;

function tablesOf(db: Database.Database): string[] {
  return db
    .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all();
}

function metaValue(db: Database.Database, key: string): string | undefined {
  return db.prepare<[string], string>('SELECT value FROM meta WHERE key = ?').pluck().get(key);
}

/**
 * Makes an empty file a coordination file, or checks that a file is one this code can use.
 * Runs inside a `BEGIN IMMEDIATE` transaction, so that two processes opening a new file at
 * once create its tables once. Throws, naming `path`, for anything else; the file is left
 * as it was.
 */
export function prepareSchema(db: Database.Database, path: string): void {
  const tables = tablesOf(db);
  if (tables.length === 0) {
    db.exec(CREATE);
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    insert.run('format', FORMAT);
    insert.run('schema_version', String(COORDINATION_SCHEMA_VERSION));
    return;
  }
  const foreign = (cause?: unknown): SqliteCoordinationError =>
    new SqliteCoordinationError(
      path,
      `${path} is an SQLite database but not a baton coordination file (it has the tables ${tables.join(', ')}); ` +
        'baton leaves it untouched: point the coordination at another file',
      cause === undefined ? undefined : { cause },
    );
  let format: string | undefined;
  let version: number;
  try {
    format = metaValue(db, 'format');
    version = Number(metaValue(db, 'schema_version'));
  } catch (error) {
    // No `meta` table, or another program's, with other columns.
    throw foreign(error);
  }
  if (format !== FORMAT || !Number.isInteger(version)) throw foreign();
  if (version > COORDINATION_SCHEMA_VERSION) {
    throw new SqliteCoordinationError(
      path,
      `${path} is a coordination file of schema version ${version}, newer than this baton knows (${COORDINATION_SCHEMA_VERSION}); ` +
        'upgrade baton in every conductor that shares it, or point this one at another file',
    );
  }
  const missing = TABLES.filter((t) => !tables.includes(t));
  if (missing.length > 0) {
    throw new SqliteCoordinationError(
      path,
      `${path} is a damaged coordination file (the table${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing); ` +
        'stop the conductors that share it, then delete it: it holds nothing that outlives them',
    );
  }
}
