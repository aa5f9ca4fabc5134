import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/index.js';
import { migrate } from '../../src/store/migrations.js';
import { checkpointPath } from '../../src/store/sqlite-store.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

describe('checkpoint schema v6: rate-limited runs of each sheet', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('baton-v6-');
  });
  afterEach(() => removeDir(dir));

  it('a v5 checkpoint counts each sheet\'s rate-limited runs from its attempt rows', () => {
    const path = checkpointPath(dir);
    const v5 = new Database(path);
    expect(migrate(v5, 5)).toBe(5);
    v5.prepare(
      `INSERT INTO job (id, job_id, name, fingerprint, state, pause_reasons, budget_usd, outcome, created_at, updated_at)
       VALUES (1, 'job-5', 'old', '{"stages":[]}', 'completed', '[]', NULL, 'completed', 10, 20)`,
    ).run();
    const sheet = v5.prepare(
      `INSERT INTO sheets (id, state, dispatches, attempts, instrument_index, skipped_by_decision, cost_usd, updated_at)
       VALUES (?, 'completed', ?, 1, 0, 0, 0, 20)`,
    );
    sheet.run('a', 3);
    sheet.run('b', 1);
    const attempt = v5.prepare(
      `INSERT INTO attempts (sheet_id, number, mode, instrument, started_at, ended_at, status) VALUES (?, ?, 'normal', 'x', 0, 1, ?)`,
    );
    attempt.run('a', 1, 'rate_limited');
    attempt.run('a', 2, 'rate_limited');
    attempt.run('a', 3, 'success');
    attempt.run('b', 1, 'success');
    v5.close();

    const store = SqliteStore.open(path, { create: false });
    expect(store.loadSheets().map((s) => [s.id, s.dispatches, s.rateLimited])).toEqual([
      ['a', 3, 2],
      ['b', 1, 0],
    ]);
    store.close();
  });
});
