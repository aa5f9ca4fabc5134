import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { BreakerContext, BreakerState } from '../machines/breaker.js';
import type { CoordinationBackend, SharedBreaker, SharedState } from './backend.js';
import { prepareSchema, SqliteCoordinationError } from './sqlite-schema.js';

export interface SqliteCoordinationOptions {
  /**
   * How long a call waits for another process's write to finish before it rejects, in ms.
   * Writes are a few statements long, so only a stuck or very slow disk reaches it.
   * @default 5000
   */
  busyTimeoutMs?: number;
}

/** How long a breaker outlives its last write (or its `reopenAt`, if later). */
const BREAKER_TTL_MS = 24 * 60 * 60 * 1000;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** What SQLite or the file system threw, as an error that names the file; anything else (a bug, a bad argument) passes through. */
function translate(error: unknown, path: string, doing: string): unknown {
  if (error instanceof SqliteCoordinationError || !(error instanceof Database.SqliteError)) return error;
  if (error.code === 'SQLITE_NOTADB' || error.code.startsWith('SQLITE_CORRUPT')) {
    return new SqliteCoordinationError(
      path,
      `${path} is not a baton coordination file (${error.message}); baton leaves it untouched: point the coordination at another file`,
      { cause: error },
    );
  }
  return new SqliteCoordinationError(
    path,
    `cannot ${doing} in the coordination file ${path} (${error.message}); check that the disk is not full and that the file and its folder are writable`,
    { cause: error },
  );
}

/** The context with its times moved `by` ms: offsets from now to absolute times (`by` = now), or back (`by` = −now). */
function shiftTimes(context: BreakerContext, by: number): BreakerContext {
  return {
    ...context,
    openedAt: context.openedAt === null ? null : context.openedAt + by,
    reopenAt: context.reopenAt === null ? null : context.reopenAt + by,
  };
}

function requireFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number of ms, got ${value}`);
}

/**
 * Coordination between conductors on one host, through one SQLite file that each opens (in
 * WAL mode, so that reads never wait for a writer). Times are the host's clock, stored as
 * absolute ms and turned into "ms from now" at each call. Every decision (a slot claim, a
 * limit's later end, a breaker's compare-and-set) is one short `BEGIN IMMEDIATE`
 * transaction, so processes take turns on it; each write deletes what has expired in its
 * table, and `read` never lists an expired row.
 *
 * A breaker is forgotten a day after its last write (or a day after its `reopenAt`, if that
 * is later): a breaker nobody has touched for that long describes failures that no longer
 * say anything about the instrument.
 *
 * better-sqlite3 is synchronous: each method does its work at once and returns a settled
 * promise; whatever SQLite throws rejects it, as a `SqliteCoordinationError` naming the file.
 */
export class SqliteCoordination implements CoordinationBackend {
  readonly target: string;
  /** The file's absolute path. */
  readonly path: string;
  private readonly db: Database.Database;
  private readonly sql: ReturnType<typeof coordinationStatements>;
  private closed = false;

  /**
   * Opens the coordination file at `path`, creating it (and its folder) when missing. Throws
   * a `SqliteCoordinationError` naming the file when it is not SQLite, is another program's
   * database (a baton checkpoint among them), or was written by a newer baton.
   */
  constructor(path: string, options: SqliteCoordinationOptions = {}) {
    if (typeof path !== 'string' || path === '') {
      throw new TypeError(`SqliteCoordination: the coordination file's path must be a non-empty string, got ${path === '' ? 'an empty string' : typeof path}`);
    }
    this.path = resolve(path);
    this.target = `sqlite:${this.path}`;
    let db: Database.Database;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      db = new Database(this.path, { timeout: options.busyTimeoutMs ?? 5000 });
    } catch (error) {
      throw new SqliteCoordinationError(
        this.path,
        `cannot open the coordination file ${this.path} (${messageOf(error)}); check that it is a file, and that it and its folder are writable`,
        { cause: error },
      );
    }
    try {
      // Checked before anything is written: a file that is not ours stays as it was.
      db.transaction(() => prepareSchema(db, this.path)).immediate();
      db.pragma('journal_mode = WAL');
      // What a power loss could take back is a lease or a limit report, which expire anyway.
      db.pragma('synchronous = NORMAL');
      this.sql = coordinationStatements(db);
    } catch (error) {
      db.close();
      throw translate(error, this.path, 'open');
    }
    this.db = db;
  }

  read(): Promise<SharedState> {
    // One read transaction: the three tables as of one moment.
    return this.call('read', () =>
      this.db.transaction((): SharedState => {
        const now = Date.now();
        const slots = new Map<string, Array<{ holder: string; remainingMs: number }>>();
        for (const row of this.sql.slots.all(now)) {
          const holders = slots.get(row.identity) ?? [];
          holders.push({ holder: row.holder, remainingMs: row.expires_at - now });
          slots.set(row.identity, holders);
        }
        return {
          limits: this.sql.limits.all(now).map((row) => ({ identity: row.identity, model: row.model, remainingMs: row.ends_at - now })),
          breakers: this.sql.breakers.all(now).map((row) => ({
            identity: row.identity,
            version: row.version,
            value: row.value as BreakerState,
            context: shiftTimes(JSON.parse(row.context) as BreakerContext, -now),
          })),
          slots: [...slots].map(([identity, holders]) => ({ identity, holders })),
        };
      })(),
    );
  }

  reportLimit(identity: string, model: string | null, waitMs: number): Promise<number> {
    return this.write('report a rate limit', () => {
      requireFinite('waitMs', waitMs);
      const now = Date.now();
      this.sql.expireLimits.run(now);
      const inForce = this.sql.limitEnd.get(identity, model);
      if (waitMs <= 0) return inForce === undefined ? 0 : inForce - now;
      const reported = Math.ceil(now + waitMs);
      if (inForce === undefined) this.sql.insertLimit.run(identity, model, reported);
      else if (reported > inForce) this.sql.extendLimit.run(reported, identity, model);
      return Math.max(inForce ?? 0, reported) - now;
    });
  }

  clearLimit(identity: string, model: string | null): Promise<void> {
    return this.write('clear a rate limit', () => {
      this.sql.expireLimits.run(Date.now());
      this.sql.deleteLimit.run(identity, model);
    });
  }

  writeBreaker(identity: string, version: number, next: SharedBreaker | null): Promise<boolean> {
    return this.write('write a circuit breaker', () => {
      const now = Date.now();
      this.sql.expireBreakers.run(now);
      if ((this.sql.breakerVersion.get(identity) ?? 0) !== version) return false;
      if (next === null) {
        this.sql.deleteBreaker.run(identity);
        return true;
      }
      const context = shiftTimes(next.context, now);
      const expiresAt = Math.max(now, context.reopenAt ?? now) + BREAKER_TTL_MS;
      this.sql.putBreaker.run(identity, next.value, JSON.stringify(context), version + 1, Math.ceil(expiresAt));
      return true;
    });
  }

  claimSlot(identity: string, holder: string, limit: number, leaseMs: number): Promise<boolean> {
    return this.write('claim a slot', () => {
      requireFinite('leaseMs', leaseMs);
      const now = Date.now();
      this.sql.expireSlots.run(now);
      const expiresAt = Math.ceil(now + leaseMs);
      if (this.sql.renewSlot.run(expiresAt, identity, holder).changes > 0) return true;
      if (this.sql.countSlots.get(identity)! >= limit) return false;
      this.sql.insertSlot.run(identity, holder, expiresAt);
      return true;
    });
  }

  renewSlots(identity: string, holders: readonly string[], leaseMs: number): Promise<string[]> {
    return this.write('renew slot leases', () => {
      requireFinite('leaseMs', leaseMs);
      const now = Date.now();
      this.sql.expireSlots.run(now);
      const expiresAt = Math.ceil(now + leaseMs);
      return holders.filter((holder) => this.sql.renewSlot.run(expiresAt, identity, holder).changes === 0);
    });
  }

  releaseSlot(identity: string, holder: string): Promise<void> {
    return this.write('release a slot', () => {
      this.sql.expireSlots.run(Date.now());
      this.sql.deleteSlot.run(identity, holder);
    });
  }

  /**
   * SQLite has no notifications, and a timer here would run on the host's clock, out of
   * reach of a runtime in virtual time: the runtime polls `read` on its own clock instead.
   * So the listener is never called, and the stop function has nothing to stop.
   */
  watch(_listener: () => void): () => void {
    return () => undefined;
  }

  /** Closes the file. Calls made afterwards reject; closing again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } catch (error) {
      throw translate(error, this.path, 'close');
    }
  }

  /** Runs `fn` in one `BEGIN IMMEDIATE` transaction: no other process writes between its read and its write. */
  private write<T>(doing: string, fn: () => T): Promise<T> {
    return this.call(doing, () => this.db.transaction(fn).immediate());
  }

  /** Runs `fn` now (better-sqlite3 is synchronous); being async, what it throws rejects rather than escapes. */
  private async call<T>(doing: string, fn: () => T): Promise<T> {
    if (this.closed) throw new SqliteCoordinationError(this.path, `cannot ${doing}: the coordination file ${this.path} was closed`);
    try {
      return fn();
    } catch (error) {
      throw translate(error, this.path, doing);
    }
  }
}

/** The statements the backend runs, prepared once per connection. */
// Not exported: its inferred type names better-sqlite3's internal namespace, which a declaration file cannot.
function coordinationStatements(db: Database.Database) {
  return {
    limits: db.prepare<[number], { identity: string; model: string | null; ends_at: number }>(
      'SELECT identity, model, ends_at FROM limits WHERE ends_at > ? ORDER BY identity, model',
    ),
    limitEnd: db.prepare<[string, string | null], number>('SELECT ends_at FROM limits WHERE identity = ? AND model IS ?').pluck(),
    insertLimit: db.prepare<[string, string | null, number]>('INSERT INTO limits (identity, model, ends_at) VALUES (?, ?, ?)'),
    extendLimit: db.prepare<[number, string, string | null]>('UPDATE limits SET ends_at = ? WHERE identity = ? AND model IS ?'),
    deleteLimit: db.prepare<[string, string | null]>('DELETE FROM limits WHERE identity = ? AND model IS ?'),
    expireLimits: db.prepare<[number]>('DELETE FROM limits WHERE ends_at <= ?'),

    breakers: db.prepare<[number], { identity: string; value: string; context: string; version: number }>(
      'SELECT identity, value, context, version FROM breakers WHERE expires_at > ? ORDER BY identity',
    ),
    breakerVersion: db.prepare<[string], number>('SELECT version FROM breakers WHERE identity = ?').pluck(),
    putBreaker: db.prepare<[string, string, string, number, number]>(
      'INSERT OR REPLACE INTO breakers (identity, value, context, version, expires_at) VALUES (?, ?, ?, ?, ?)',
    ),
    deleteBreaker: db.prepare<[string]>('DELETE FROM breakers WHERE identity = ?'),
    expireBreakers: db.prepare<[number]>('DELETE FROM breakers WHERE expires_at <= ?'),

    slots: db.prepare<[number], { identity: string; holder: string; expires_at: number }>(
      'SELECT identity, holder, expires_at FROM slots WHERE expires_at > ? ORDER BY identity, holder',
    ),
    countSlots: db.prepare<[string], number>('SELECT count(*) FROM slots WHERE identity = ?').pluck(),
    insertSlot: db.prepare<[string, string, number]>('INSERT INTO slots (identity, holder, expires_at) VALUES (?, ?, ?)'),
    renewSlot: db.prepare<[number, string, string]>('UPDATE slots SET expires_at = ? WHERE identity = ? AND holder = ?'),
    deleteSlot: db.prepare<[string, string]>('DELETE FROM slots WHERE identity = ? AND holder = ?'),
    expireSlots: db.prepare<[number]>('DELETE FROM slots WHERE expires_at <= ?'),
  };
}
