// S5, baton with the default durable store: the S1 job (N no-op sheets, concurrency 10)
// checkpointed to a fresh file-backed SqliteStore (WAL) in a new temp dir. Times
// defineScore → SqliteStore.open → register → waitForCompletion → shutdown → close().
// Afterwards, untimed, reopens the file read-only to check that every sheet is stored
// completed, and deletes the temp dir. Extra fields: the -wal file's size before close
// and the database's size after it.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { argN, measure } from '../lib/measure.mjs';
import { checkCheckpoint, noopScore, runNoopJob } from '../lib/noop-job.mjs';
import { SqliteStore } from '../lib/stores.mjs';

const n = argN();
const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-bench-s5-'));
const file = path.join(dir, 'baton.db');
const sizeKB = (f) => {
  try {
    return Math.round(statSync(f).size / 1024);
  } catch {
    return 0;
  }
};

try {
  let walKB = 0;
  await measure(async (sample) => {
    const score = noopScore(n);
    const store = SqliteStore.open(file);
    try {
      await runNoopJob(score, { store, sample });
      walKB = sizeKB(`${file}-wal`);
    } finally {
      store.close();
    }
    return { dbKB: sizeKB(file), walKB };
  });
  const check = SqliteStore.open(file, { readonly: true });
  try {
    checkCheckpoint(check, n);
  } finally {
    check.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
