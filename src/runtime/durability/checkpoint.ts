import type { JobRow, PolicyState, SheetEventRow, SheetRow } from '../../store/types.js';
import type { Job } from '../model/job.js';
import type { SheetRecord } from '../model/sheet-record.js';
import { fingerprintOf } from './fingerprint.js';

/**
 * Writes what a turn changed in one job (its `JobCheckpoint` marks) in one transaction. The
 * conductor flushes before it acts (before any musician starts), so what it acts on is on
 * disk. `policies` gives the gates' state for the job row, read only when that row is
 * written. Throws what the store throws, leaving the changes marked.
 */
export function flushCheckpoint(job: Job, now: number, policies: () => PolicyState): void {
  const checkpoint = job.checkpoint;
  if (checkpoint === undefined || !checkpoint.pending) return;
  const sheets: SheetRow[] = [];
  const events: SheetEventRow[] = [];
  const moved: SheetRecord[] = [];
  for (const record of checkpoint.sheets) {
    const row = sheetRow(record, now);
    sheets.push(row);
    if (record.storedState !== row.state) {
      events.push(sheetEvent(row, now));
      moved.push(record);
    }
  }
  checkpoint.store.commit({
    ...(checkpoint.job ? { job: jobRow(job, checkpoint.createdAt, now, policies()) } : {}),
    sheets,
    attempts: [...checkpoint.attempts],
    events,
  });
  for (const record of moved) record.storedState = record.state;
  checkpoint.written();
}

function jobRow(job: Job, createdAt: number, now: number, policies: PolicyState): JobRow {
  return {
    jobId: job.jobId,
    name: job.score.name,
    fingerprint: fingerprintOf(job.score),
    state: job.state,
    pauseReasons: [...job.pauseReasons],
    budgetUsd: job.score.budgetUsd ?? null,
    outcome: job.outcome ?? null,
    policies,
    createdAt,
    updatedAt: now,
  };
}

/** The event of a sheet row's state, as of `at`: the deadline it waits for, or why it failed. */
export function sheetEvent(row: SheetRow, at: number): SheetEventRow {
  const until = row.state === 'retry' ? row.context?.retryAt : row.state === 'waiting' ? row.context?.waitUntil : null;
  const failing = row.state === 'retry' || row.state === 'fermata' || row.state === 'failed' || row.state === 'skipped';
  return { sheetId: row.id, at, state: row.state, until: until ?? null, detail: failing ? row.reason : null };
}

function sheetRow(record: SheetRecord, now: number): SheetRow {
  return {
    id: record.id,
    state: record.state,
    dispatches: record.dispatches,
    rateLimited: record.rateLimited,
    interrupted: record.interrupted,
    attempts: record.attempts,
    instrumentIndex: record.instrumentIndex,
    lastError: record.lastError,
    reason: record.reason,
    skippedByDecision: record.skippedByDecision,
    costUsd: record.costUsd,
    firstDispatchAt: record.firstDispatchAt ?? null,
    endedAt: record.endedAt ?? null,
    outputFile: record.outputFile ?? null,
    output: record.output,
    context: record.actor ? record.actor.getSnapshot().context : null,
    updatedAt: now,
  };
}
