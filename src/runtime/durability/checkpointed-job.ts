import { hostname } from 'node:os';
import { processStartTime } from '../../actors/process/identity.js';
import { stopOrphans } from '../../actors/process/orphans.js';
import type { Score } from '../../score/types.js';
import type { AttemptRow, CheckpointStore, JobRow, LockOwner, PolicyState, SheetRow } from '../../store/types.js';
import { CheckpointEmptyError, CheckpointNotEmptyError, IncompatibleCheckpointError } from '../errors.js';
import { createInstruments, type InstrumentOverrides } from '../instruments.js';
import { Job } from '../model/job.js';
import { JobCheckpoint } from '../model/job-checkpoint.js';
import type { StageRuntime } from '../model/stage.js';
import { incompatibilities } from './fingerprint.js';
import { restoreJob, type Revival } from './restore.js';

/** Who holds a checkpoint's lock: this process, named so that a recycled pid is never taken for it. */
export function lockOwner(): LockOwner {
  return { pid: process.pid, host: hostname(), pidStart: processStartTime(process.pid) };
}

/**
 * The last moment a checkpoint shows its conductor alive: its latest write. An attempt a
 * dead conductor left running ends there, so a report never draws it across the time no
 * baton ran; it may have run on a little longer, which nothing recorded.
 */
function lastCheckpointWrite(job: JobRow, sheets: readonly SheetRow[], attempts: readonly AttemptRow[]): number {
  let last = job.updatedAt;
  for (const sheet of sheets) last = Math.max(last, sheet.updatedAt);
  for (const attempt of attempts) last = Math.max(last, attempt.startedAt, attempt.endedAt ?? 0);
  return last;
}

/** Makes a new job checkpoint to `store`, which must be empty; takes the store's lock. */
export function checkpointTo(job: Job, store: CheckpointStore): void {
  const existing = store.loadJob();
  if (existing !== undefined) throw new CheckpointNotEmptyError(store.location, existing.name);
  store.acquireLock(lockOwner());
  job.checkpoint = new JobCheckpoint(store, job.startedAt);
  job.checkpoint.allChanged(job.sheets);
}

/**
 * Rebuilds the job a store holds, for the score as it is now. Refuses a score that lost a
 * sheet or changed dependencies unless `force`; takes the lock; stops the processes of
 * attempts that were running when the previous conductor died, and records them as
 * interrupted, ended at its last checkpoint write.
 */
export function jobFromCheckpoint(
  score: Score,
  options: { store: CheckpointStore; force?: boolean; instruments?: InstrumentOverrides },
  now: number,
): { job: Job; revive: Revival[]; release: StageRuntime[]; policies: PolicyState | undefined } {
  const { store } = options;
  const stored = store.loadJob();
  if (stored === undefined) throw new CheckpointEmptyError(store.location);
  const problems = incompatibilities(stored.fingerprint, score);
  if (problems.length > 0 && !options.force) throw new IncompatibleCheckpointError(store.location, problems);
  store.acquireLock(lockOwner());
  const attempts = store.loadAttempts();
  const rows = store.loadSheets();
  const lastWrite = lastCheckpointWrite(stored, rows, attempts);
  const interrupted = attempts.filter((row) => row.status === 'running');
  stopOrphans(interrupted);
  const job = new Job(stored.jobId, score, createInstruments(score, options.instruments), now);
  const checkpoint = new JobCheckpoint(store, stored.createdAt);
  job.checkpoint = checkpoint;
  if (stored.state === 'cancelled') job.cancel();
  // A pause survives a restart (the caller may lift it); a failed checkpoint does not.
  for (const reason of stored.pauseReasons) if (reason !== 'checkpoint') job.pause(reason);
  for (const row of rows) {
    const record = job.byId.get(row.id);
    if (record !== undefined) record.storedState = row.state;
  }
  const { revive, release, removed } = restoreJob(job, rows);
  // Only a forced resume gets here with sheets the score dropped: they leave the checkpoint,
  // and an attempt of theirs that was cut short is not recorded.
  if (removed.length > 0) store.commit({ sheets: [], attempts: [], removedSheets: removed });
  const diedAfter = new Date(lastWrite).toISOString();
  const cut = `interrupted: baton ended without recording the attempt's end (its last checkpoint write was at ${diedAfter})`;
  for (const row of interrupted) {
    if (job.byId.has(row.sheetId)) checkpoint.attemptInterrupted(row, job.byId.get(row.sheetId), lastWrite, cut);
  }
  // A budget raised in the score since the pause lets the job go on.
  if (job.pauseReasons.has('budget') && (job.budgetUsd === undefined || job.spentUsd < job.budgetUsd)) job.unpause('budget');
  checkpoint.allChanged(job.sheets);
  return { job, revive, release, policies: stored.policies };
}
