import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/index.js';
import { migrate } from '../../src/store/migrations.js';
import { checkpointPath } from '../../src/store/sqlite-store.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

/** What a resume before schema v7 wrote for an attempt the dead conductor left running. */
const OLD_INTERRUPTED = 'interrupted: the conductor stopped before the attempt ended';

describe('checkpoint schema v7: interrupted attempts', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('baton-v7-');
  });
  afterEach(() => removeDir(dir));

  it('a v6 checkpoint turns its crashed-and-resumed attempts into interrupted ones and counts them per sheet', () => {
    const path = checkpointPath(dir);
    const v6 = new Database(path);
    expect(migrate(v6, 6)).toBe(6);
    v6.prepare(
      `INSERT INTO job (id, job_id, name, fingerprint, state, pause_reasons, budget_usd, outcome, created_at, updated_at)
       VALUES (1, 'job-6', 'old', '{"stages":[]}', 'completed', '[]', NULL, 'completed', 10, 20)`,
    ).run();
    const sheet = v6.prepare(
      `INSERT INTO sheets (id, state, dispatches, rate_limited, attempts, instrument_index, skipped_by_decision, cost_usd, updated_at)
       VALUES (?, 'completed', ?, 0, 1, 0, 0, 0, 20)`,
    );
    sheet.run('a', 3);
    sheet.run('b', 1);
    const attempt = v6.prepare(
      `INSERT INTO attempts (sheet_id, number, mode, instrument, started_at, ended_at, status, error, reason)
       VALUES (?, ?, 'normal', 'x', 0, 1, ?, ?, ?)`,
    );
    attempt.run('a', 1, 'failure', OLD_INTERRUPTED, 'crashed');
    // A real crash of the attempt's own process keeps its failure.
    attempt.run('a', 2, 'failure', 'killed by SIGSEGV', 'crashed');
    attempt.run('a', 3, 'success', null, null);
    attempt.run('b', 1, 'success', null, null);
    v6.close();

    const store = SqliteStore.open(path, { create: false });
    expect(store.schemaVersion).toBe(7);
    expect(store.loadAttempts().map((a) => [a.sheetId, a.number, a.status, a.reason])).toEqual([
      ['a', 1, 'interrupted', null],
      ['a', 2, 'failure', 'crashed'],
      ['a', 3, 'success', null],
      ['b', 1, 'success', null],
    ]);
    expect(store.loadSheets().map((s) => [s.id, s.dispatches, s.interrupted])).toEqual([
      ['a', 3, 1],
      ['b', 1, 0],
    ]);
    store.close();
  });
});
