import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointCorruptError,
  CheckpointError,
  CheckpointNotFoundError,
  CheckpointTooNewError,
  ForeignCheckpointError,
  openCheckpoint,
  SqliteStore,
} from '../../src/index.js';
import { CheckpointNeedsMigrationError, CheckpointReadOnlyError } from '../../src/store/errors.js';
import { BATON_APPLICATION_ID, LATEST_SCHEMA_VERSION, migrate } from '../../src/store/migrations.js';
import { checkpointPath } from '../../src/store/sqlite-store.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { thrownBy } from '../support/thrown.js';
import { attemptRow, contextIn, jobRow, sheetRow } from './helpers.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = makeTempDir('baton-store-');
  path = checkpointPath(dir);
});
afterEach(() => removeDir(dir));

/** What `open` threw. */
function openError(file: string, options?: Parameters<typeof SqliteStore.open>[1]): CheckpointError {
  return thrownBy(CheckpointError, () => SqliteStore.open(file, options).close(), `opening ${file} did not fail`);
}

describe('SqliteStore file', () => {
  it('creates <workspace>/baton.db private (0600), in WAL mode, at the latest schema', () => {
    const store = openCheckpoint(path);
    store.commit({ job: jobRow(), sheets: [sheetRow('a')], attempts: [] });
    expect(path).toBe(join(dir, 'baton.db'));
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // SQLite gives the log files the database file's mode.
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-shm`).mode & 0o777).toBe(0o600);

    const other = new Database(path, { readonly: true });
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(other.pragma('application_id', { simple: true })).toBe(BATON_APPLICATION_ID);
    expect(other.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    other.close();
    store.close();
    store.close(); // idempotent
  });

  it('migrates a v1 checkpoint to the latest schema, keeping its data', () => {
    const v1 = new Database(path);
    expect(migrate(v1, 1)).toBe(1);
    const attemptColumns = () => (v1.pragma('table_info(attempts)') as Array<{ name: string }>).map((c) => c.name);
    expect(attemptColumns()).not.toContain('pid');
    v1.prepare(
      `INSERT INTO job (id, job_id, name, fingerprint, state, pause_reasons, budget_usd, outcome, created_at, updated_at)
       VALUES (1, 'job-1', 'old', '{"stages":[]}', 'paused', '["budget"]', 3.5, NULL, 10, 20)`,
    ).run();
    v1.prepare(
      `INSERT INTO sheets (id, state, dispatches, attempts, instrument_index, last_error, reason, skipped_by_decision,
         cost_usd, first_dispatch_at, ended_at, output_file, output, context, updated_at)
       VALUES ('a', 'running', 1, 0, 0, NULL, NULL, 0, 0.5, 11, NULL, NULL, NULL, @context, 12)`,
    ).run({ context: JSON.stringify(contextIn('running')) });
    v1.prepare(
      `INSERT INTO attempts (sheet_id, number, mode, instrument, model, started_at, ended_at, status, exit_code,
         signal, error, reason, cost_usd, stdout_file, stderr_file)
       VALUES ('a', 1, 'normal', 'claude', 'opus', 11, NULL, 'running', NULL, NULL, NULL, NULL, NULL, '/o', '/e')`,
    ).run();
    v1.close();

    // Read-only (status) does not migrate: it says what to do.
    const readonly = openError(path, { readonly: true });
    expect(readonly).toBeInstanceOf(CheckpointNeedsMigrationError);
    expect(readonly.message).toContain(path);
    expect(readonly.message).toContain('baton resume');

    const store = SqliteStore.open(path, { create: false });
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(store.loadJob()).toEqual(jobRow({ jobId: 'job-1', name: 'old', fingerprint: { stages: [] }, state: 'paused', pauseReasons: ['budget'], budgetUsd: 3.5, createdAt: 10, updatedAt: 20 }));
    expect(store.loadSheets()).toEqual([
      sheetRow('a', { state: 'running', dispatches: 1, costUsd: 0.5, firstDispatchAt: 11, context: contextIn('running'), updatedAt: 12 }),
    ]);
    expect(store.loadAttempts()).toEqual([
      attemptRow('a', 1, { model: 'opus', startedAt: 11, stdoutFile: '/o', stderrFile: '/e', pid: null, pidStart: null }),
    ]);
    // The new columns are written from now on.
    store.commit({ sheets: [], attempts: [attemptRow('a', 1, { pid: 77, pidStart: 'then' })] });
    expect(store.loadAttempts('a')[0]).toMatchObject({ pid: 77, pidStart: 'then' });
    store.close();
    expect(SqliteStore.open(path, { readonly: true }).loadAttempts().length).toBe(1);
  });

  it('refuses a missing file when told not to create one', () => {
    for (const options of [{ create: false }, { readonly: true }]) {
      const error = openError(path, options);
      expect(error).toBeInstanceOf(CheckpointNotFoundError);
      expect(error.message).toBe(`no checkpoint at ${path}: run \`baton run\` first`);
    }
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a text file named baton.db, and leaves it as it was', () => {
    const text = 'these are my notes, not a database\n'.repeat(20);
    writeFileSync(path, text);
    const error = openError(path);
    expect(error).toBeInstanceOf(CheckpointCorruptError);
    expect(error.message).toContain(path);
    expect(error.message).toContain('file is not a database');
    expect(error.message).toContain('move it aside');
    expect(openError(path, { readonly: true })).toBeInstanceOf(CheckpointCorruptError);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('refuses a truncated checkpoint', () => {
    const store = SqliteStore.open(path);
    const context = contextIn('running');
    store.commit({ sheets: Array.from({ length: 2000 }, (_, i) => sheetRow(`s.${i}`, { context })), attempts: [] });
    store.close(); // the last connection folds the log into the file
    expect(existsSync(`${path}-wal`)).toBe(false);
    truncateSync(path, Math.floor(statSync(path).size / 2));
    const error = openError(path, { create: false });
    expect(error).toBeInstanceOf(CheckpointCorruptError);
    expect(error.message).toContain(path);
  });

  it('refuses a checkpoint with a damaged page, in a short message', () => {
    const store = SqliteStore.open(path);
    const context = contextIn('running');
    store.commit({ sheets: Array.from({ length: 2000 }, (_, i) => sheetRow(`s.${i}`, { context })), attempts: [] });
    store.close();
    const bytes = readFileSync(path);
    bytes.fill(0x41, 8192, 8192 + 4096);
    writeFileSync(path, bytes);
    const error = openError(path, { create: false });
    expect(error).toBeInstanceOf(CheckpointCorruptError);
    expect(error.message).toContain(path);
    expect(error.message.split('\n')).toHaveLength(1);
    // A reader does not check the whole file at open; it fails, as clearly, when it reads.
    const reader = SqliteStore.open(path, { readonly: true });
    expect(() => reader.loadSheets()).toThrow(CheckpointCorruptError);
    reader.close();
  });

  it('initialises a zero-byte file (a crash during creation), and makes it private', () => {
    writeFileSync(path, '', { mode: 0o644 });
    // Nothing to show yet to a reader.
    expect(openError(path, { readonly: true })).toBeInstanceOf(CheckpointNotFoundError);
    const store = SqliteStore.open(path, { create: false });
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(store.loadSheets()).toEqual([]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    store.close();
  });

  it('refuses another program\'s SQLite database, and does not touch it', () => {
    const foreign = new Database(path);
    foreign.exec("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup')");
    foreign.close();
    const before = readFileSync(path);
    const error = openError(path);
    expect(error).toBeInstanceOf(ForeignCheckpointError);
    expect(error.message).toContain(path);
    expect(error.message).toContain('not a baton checkpoint');
    expect(error.message).toContain('recipes');
    expect(openError(path, { readonly: true })).toBeInstanceOf(ForeignCheckpointError);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('refuses a database with another application id', () => {
    const foreign = new Database(path);
    foreign.pragma('application_id = 1234');
    foreign.close();
    const error = openError(path);
    expect(error).toBeInstanceOf(ForeignCheckpointError);
    expect(error.message).toContain('0x4d2');
  });

  it('refuses a checkpoint with our id but without our tables', () => {
    const odd = new Database(path);
    odd.pragma(`application_id = ${BATON_APPLICATION_ID}`);
    odd.pragma(`user_version = ${LATEST_SCHEMA_VERSION}`);
    odd.exec('CREATE TABLE job (id INTEGER)');
    odd.close();
    const error = openError(path);
    expect(error).toBeInstanceOf(ForeignCheckpointError);
    expect(error.message).toContain('sheets, attempts, lock missing');
  });

  it('refuses a checkpoint from a newer baton', () => {
    const newer = new Database(path);
    newer.pragma(`application_id = ${BATON_APPLICATION_ID}`);
    newer.pragma('user_version = 99');
    newer.close();
    for (const options of [{}, { readonly: true }]) {
      const error = openError(path, options);
      expect(error).toBeInstanceOf(CheckpointTooNewError);
      expect(error.message).toContain(path);
      expect(error.message).toContain('schema v99');
      expect(error.message).toContain('upgrade baton');
    }
  });

  it('says where the file could not be created', () => {
    const error = openError(join(dir, 'no-such-folder', 'baton.db'));
    expect(error.message).toContain(join(dir, 'no-such-folder', 'baton.db'));
    expect(error.message).toContain('folder exists');
  });

  it('refuses writes through a read-only store, and any use after close', () => {
    SqliteStore.open(path).close();
    const reader = SqliteStore.open(path, { readonly: true });
    expect(() => reader.commit({ sheets: [sheetRow('a')], attempts: [] })).toThrow(CheckpointReadOnlyError);
    expect(() => reader.acquireLock({ pid: process.pid, host: 'h' })).toThrow(CheckpointReadOnlyError);
    expect(reader.lockHolder()).toBeUndefined();
    reader.releaseLock(); // nothing to release: no-op
    reader.close();
    expect(() => reader.loadSheets()).toThrow(/is closed/);
  });

  it('leaves the file unchanged when a batch fails halfway (one transaction)', () => {
    const store = SqliteStore.open(path);
    store.commit({ sheets: [sheetRow('a')], attempts: [] });
    const bad = sheetRow('c', { context: { toJSON: () => { throw new Error('boom'); } } as never });
    expect(() => store.commit({ job: jobRow(), sheets: [sheetRow('a', { state: 'ready' }), sheetRow('b'), bad], attempts: [] })).toThrow('boom');
    expect(store.loadSheets()).toEqual([sheetRow('a')]);
    expect(store.loadJob()).toBeUndefined();
    store.close();
  });
});
